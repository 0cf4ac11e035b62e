using System.CommandLine;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary><c>tollgate subscribe</c>: subscribe an application to a published API with a plan.</summary>
internal static class SubscribeCommand
{
    public static Command Create()
    {
        var api = new Option<string>("--api") { Description = "API id (see tollgate apis list)", Required = true, HelpName = "ID" };
        var app = new Option<string>("--app") { Description = "Application id (see tollgate apps list)", Required = true, HelpName = "ID" };
        var plan = new Option<string>("--plan") { Description = "Business plan, e.g. Gold", Required = true };
        var command = new Command("subscribe", "Subscribe an application to a published API") { api, app, plan };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            client.FieldHints = new Dictionary<string, string> { ["apiId"] = "--api", ["applicationId"] = "--app", ["plan"] = "--plan" };
            var subscription = await client.SubscribeAsync(cli.Get(api)!, cli.Get(app)!, cli.Get(plan)!, ct);
            if (cli.Json)
            {
                cli.PrintJson(subscription);
            }
            else
            {
                cli.Out.WriteLine(
                    $"Subscribed {subscription.Str("applicationName") ?? cli.Get(app)} to {subscription.Str("apiName") ?? cli.Get(api)} " +
                    $"{subscription.Str("apiVersion")} with plan {subscription.Str("plan")} ({subscription.Str("status")}), id {subscription.Str("id")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
