using System.CommandLine;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary><c>tollgate apps ...</c>: applications in the Developer Portal.</summary>
internal static class AppsCommands
{
    public static Command Create() => new("apps", "List and create applications (Developer Portal)") { List(), CreateApp() };

    private static Command List()
    {
        var command = new Command("list", "List your applications");
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            var answer = await client.ListApplicationsAsync(ct);
            if (cli.Json)
            {
                cli.PrintJson(answer);
            }
            else
            {
                Table.Write(cli.Out, ["ID", "NAME", "OWNER", "DESCRIPTION"],
                    answer.Items().Select(app => new[] { app.Str("id"), app.Str("name"), app.Str("owner"), app.Str("description") }));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateApp()
    {
        var name = new Option<string>("--name") { Description = "Application name", Required = true };
        var description = new Option<string?>("--description") { Description = "Description" };
        var command = new Command("create", "Create an application") { name, description };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            client.FieldHints = new Dictionary<string, string> { ["name"] = "--name", ["description"] = "--description" };
            var app = await client.CreateApplicationAsync(cli.Get(name)!, cli.Get(description), ct);
            if (cli.Json)
            {
                cli.PrintJson(app);
            }
            else
            {
                cli.Out.WriteLine($"Created application {app.Str("name")}, id {app.Str("id")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
