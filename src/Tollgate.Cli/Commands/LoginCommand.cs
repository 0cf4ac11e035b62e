using System.CommandLine;
using System.Text.Json.Nodes;
using Tollgate.Cli.Http;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

internal static class LoginCommand
{
    public static Command Create()
    {
        var user = new Option<string>("--user", "-u") { Description = "User name", Required = true, HelpName = "USER" };
        var password = new Option<string?>("--password", "-p")
        {
            Description = "Password [default: $TOLLGATE_ADMIN_PASSWORD for admin, else prompted without echo]",
            HelpName = "PASSWORD",
        };
        var command = new Command("login", "Sign in and save the tokens in $TOLLGATE_HOME/session.json (default ~/.tollgate)") { user, password };

        CliAction.Set(command, async (cli, ct) =>
        {
            var username = cli.Get(user)!;
            var secret = ResolvePassword(username, cli.Get(password), interactive: true);
            using var client = cli.Connect();
            var answer = await client.PasswordTokenAsync(username, secret, ct);
            var session = client.SaveSession(username, answer);
            if (cli.Json)
            {
                // Tokens stay in the session file; never on the screen.
                cli.PrintJson(new JsonObject
                {
                    ["server"] = session.Server,
                    ["username"] = username,
                    ["tokenType"] = answer.Str("token_type"),
                    ["expiresIn"] = answer["expires_in"]?.DeepClone(),
                    ["scope"] = answer.Str("scope"),
                    ["sessionFile"] = cli.Sessions.FilePath,
                });
            }
            else
            {
                cli.Out.WriteLine($"Signed in to {session.Server} as {username}; session saved to {cli.Sessions.FilePath}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>-p, else TOLLGATE_ADMIN_PASSWORD for admin, else a prompt (when allowed).</summary>
    public static string ResolvePassword(string username, string? given, bool interactive)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("TOLLGATE_ADMIN_PASSWORD");
        if (username == "admin" && !string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        if (!interactive)
        {
            throw new CliException($"no password for {username}: pass --password or set TOLLGATE_ADMIN_PASSWORD", ExitCodes.Usage);
        }

        return Secrets.Prompt($"Password for {username}");
    }
}
