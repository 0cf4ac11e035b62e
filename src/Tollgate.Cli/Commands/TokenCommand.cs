using System.CommandLine;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary><c>tollgate token</c>: an application access token (client_credentials) for the gateway.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--consumer-key") { Description = "The application's consumer key", Required = true, HelpName = "KEY" };
        var secret = new Option<string?>("--consumer-secret")
        {
            Description = "The application's consumer secret [default: $TOLLGATE_CONSUMER_SECRET, else prompted]",
            HelpName = "SECRET",
        };
        var command = new Command("token", "Get an application access token (client_credentials); prints only the token") { key, secret };
        CliAction.Set(command, async (cli, ct) =>
        {
            var consumerSecret = cli.Get(secret) is { Length: > 0 } s ? s
                : Environment.GetEnvironmentVariable("TOLLGATE_CONSUMER_SECRET") is { Length: > 0 } e ? e
                : Secrets.Prompt("Consumer secret");
            using var client = cli.Connect();
            var answer = await client.ClientCredentialsTokenAsync(cli.Get(key)!, consumerSecret, ct);
            if (cli.Json)
            {
                cli.PrintJson(answer);
            }
            else
            {
                cli.Out.WriteLine(answer.Str("access_token"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
