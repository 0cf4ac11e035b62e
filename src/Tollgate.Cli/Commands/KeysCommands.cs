using System.CommandLine;
using System.Text.Json.Nodes;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary><c>tollgate keys ...</c>: an application's consumer key and secret.</summary>
internal static class KeysCommands
{
    public static Command Create() => new("keys", "Generate and list an application's consumer keys") { Generate(), RegenerateSecret(), List() };

    private static Command Generate()
    {
        var app = AppOption();
        var keyType = KeyTypeOption();
        var command = new Command("generate", "Generate a consumer key and secret (the secret is shown only once)") { app, keyType };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            client.FieldHints = new Dictionary<string, string> { ["keyType"] = "--key-type", ["applicationId"] = "--app" };
            var applicationId = cli.Get(app)!;
            var type = cli.Get(keyType)!;
            JsonNode keys;
            try
            {
                keys = await client.GenerateKeysAsync(applicationId, type, ct);
            }
            catch (CliException e) when (e.Status == 409)
            {
                throw new CliException($"{e.Message}; the application already has {type} keys: get a new secret with tollgate keys regenerate-secret --app {applicationId} --key-type {type}") { Status = 409 };
            }

            PrintKeys(cli, applicationId, keys);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RegenerateSecret()
    {
        var app = AppOption();
        var keyType = KeyTypeOption();
        var command = new Command("regenerate-secret", "Replace the consumer secret (the old one stops working; the new one is shown only once)") { app, keyType };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            client.FieldHints = new Dictionary<string, string> { ["keyType"] = "--key-type", ["applicationId"] = "--app" };
            var applicationId = cli.Get(app)!;
            PrintKeys(cli, applicationId, await client.RegenerateSecretAsync(applicationId, cli.Get(keyType)!, ct));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintKeys(CliContext cli, string applicationId, JsonNode keys)
    {
        if (cli.Json)
        {
            cli.PrintJson(keys);
        }
        else
        {
            Table.WriteFields(cli.Out,
            [
                ("Application", applicationId),
                ("Key type", keys.Str("keyType")),
                ("Consumer key", keys.Str("consumerKey")),
                ("Consumer secret", keys.Str("consumerSecret")),
            ]);
        }

        cli.Warn("the consumer secret is shown only once: store it now (it can be regenerated, which invalidates the old one)");
    }

    private static Command List()
    {
        var app = AppOption();
        var command = new Command("list", "List an application's consumer keys (without secrets)") { app };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            var keys = await client.ListKeysAsync(cli.Get(app)!, ct);
            if (cli.Json)
            {
                cli.PrintJson(keys);
            }
            else
            {
                Table.Write(cli.Out, ["KEY TYPE", "CONSUMER KEY", "CREATED"],
                    keys.Items().Select(k => new[] { k.Str("keyType"), k.Str("consumerKey"), k.Str("createdAt") }));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<string> AppOption() =>
        new("--app") { Description = "Application id (see tollgate apps list)", Required = true, HelpName = "ID" };

    private static Option<string> KeyTypeOption()
    {
        var option = new Option<string>("--key-type")
        {
            Description = "Key type",
            DefaultValueFactory = _ => "production",
        };
        option.AcceptOnlyFromAmong("production", "sandbox");
        return option;
    }
}
