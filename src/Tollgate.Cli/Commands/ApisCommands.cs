using System.CommandLine;
using System.Text.Json.Nodes;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary><c>tollgate apis ...</c>: the Publisher (<c>/api/publisher/apis</c>).</summary>
internal static class ApisCommands
{
    public static readonly string[] LifecycleActions = ["Publish", "PreRelease", "Block", "Deprecate", "Retire", "DemoteToCreated"];

    private static readonly Dictionary<string, string> CreateHints = new()
    {
        ["name"] = "--name",
        ["context"] = "--context",
        ["version"] = "--version",
        ["endpoint"] = "--endpoint",
        ["endpoint.production"] = "--endpoint",
        ["endpoint.sandbox"] = "--sandbox-endpoint",
        ["plans"] = "--plans",
        ["description"] = "--description",
        ["tags"] = "--tags",
        ["publish"] = "--publish",
    };

    public static Command Create() => new("apis", "Create, inspect, publish and delete WebSocket APIs (Publisher)")
    {
        List(), CreateApi(), Show(), Publish(), Lifecycle(), Delete(),
    };

    private static Command List()
    {
        var query = new Option<string?>("--query", "-q") { Description = "Only APIs matching this text" };
        var command = new Command("list", "List APIs") { query };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            var answer = await client.ListApisAsync(cli.Get(query), ct);
            if (cli.Json)
            {
                cli.PrintJson(answer);
            }
            else
            {
                Table.Write(cli.Out, ["ID", "NAME", "VERSION", "CONTEXT", "STATE", "PLANS", "GATEWAY URL"],
                    answer.Items().Select(api => new[]
                    {
                        api.Str("id"), api.Str("name"), api.Str("version"), api.Str("context"), api.Str("state"),
                        api.Join("plans"), api.Str("gatewayUrl"),
                    }));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateApi()
    {
        var name = new Option<string>("--name") { Description = "API name, e.g. EchoWebSocket", Required = true };
        var context = new Option<string>("--context") { Description = "Context path, e.g. /echowebsocket", Required = true };
        var version = new Option<string>("--version") { Description = "Version, e.g. 1.0.0", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "Production backend, ws:// or wss://", Required = true, HelpName = "URL" };
        var sandbox = new Option<string?>("--sandbox-endpoint") { Description = "Sandbox backend, ws:// or wss://", HelpName = "URL" };
        var plans = new Option<string[]>("--plans") { Description = "Business plans, comma-separated, e.g. Gold,Silver", HelpName = "PLANS" };
        var description = new Option<string?>("--description") { Description = "Description" };
        var tags = new Option<string[]>("--tags") { Description = "Tags, comma-separated", HelpName = "TAGS" };
        var publish = new Option<bool>("--publish") { Description = "Create and publish (needs the publisher role, an endpoint and a plan)" };
        var command = new Command("create", "Create a WebSocket API")
        {
            name, context, version, endpoint, sandbox, plans, description, tags, publish,
        };

        CliAction.Set(command, async (cli, ct) =>
        {
            var body = new JsonObject
            {
                ["name"] = cli.Get(name),
                ["context"] = cli.Get(context),
                ["version"] = cli.Get(version),
                ["endpoint"] = new JsonObject { ["production"] = cli.Get(endpoint), ["sandbox"] = cli.Get(sandbox) },
                ["plans"] = ToArray(SplitList(cli.Get(plans))),
                ["description"] = cli.Get(description) ?? "",
                ["tags"] = ToArray(SplitList(cli.Get(tags))),
                ["publish"] = cli.Get(publish),
            };
            using var client = cli.Connect();
            client.FieldHints = CreateHints;
            var api = await client.CreateApiAsync(body, ct);
            if (cli.Json)
            {
                cli.PrintJson(api);
            }
            else
            {
                cli.Out.WriteLine($"Created API {api.Str("name")} {api.Str("version")} ({api.Str("state")}), id {api.Str("id")}");
                if (api.Str("gatewayUrl") is { } url)
                {
                    cli.Out.WriteLine($"Gateway URL: {url}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var id = IdArgument();
        var command = new Command("show", "Show one API") { id };
        CliAction.Set(command, async (cli, ct) =>
        {
            using var client = cli.Connect();
            var api = await client.GetApiAsync(cli.Get(id)!, ct);
            if (cli.Json)
            {
                cli.PrintJson(api);
            }
            else
            {
                PrintApi(cli.Out, api);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Publish()
    {
        var id = IdArgument();
        var command = new Command("publish", "Publish an API (lifecycle action Publish)") { id };
        CliAction.Set(command, (cli, ct) => ChangeLifecycle(cli, cli.Get(id)!, "Publish", ct));
        return command;
    }

    private static Command Lifecycle()
    {
        var id = IdArgument();
        var action = new Argument<string?>("action")
        {
            Description = $"One of {string.Join(", ", LifecycleActions)}; without it, show the state and the allowed actions",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "action",
        };
        action.CompletionSources.Add(LifecycleActions);
        var command = new Command("lifecycle", "Show the lifecycle state of an API or change it") { id, action };
        CliAction.Set(command, async (cli, ct) =>
        {
            var apiId = cli.Get(id)!;
            if (cli.Get(action) is { Length: > 0 } requested)
            {
                return await ChangeLifecycle(cli, apiId, NormalizeAction(requested), ct);
            }

            using var client = cli.Connect();
            var lifecycle = await client.GetLifecycleAsync(apiId, ct);
            if (cli.Json)
            {
                cli.PrintJson(lifecycle);
            }
            else
            {
                cli.Out.WriteLine($"State:   {lifecycle.Str("state")}");
                cli.Out.WriteLine($"Actions: {(lifecycle.Join("actions") is { Length: > 0 } a ? a.Replace(",", ", ") : "(none)")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = IdArgument();
        var command = new Command("delete", "Delete an API (refused while it has subscriptions)") { id };
        CliAction.Set(command, async (cli, ct) =>
        {
            var apiId = cli.Get(id)!;
            using var client = cli.Connect();
            var answer = await client.DeleteApiAsync(apiId, ct);
            if (cli.Json)
            {
                cli.PrintJson(answer);
            }
            else
            {
                cli.Out.WriteLine($"Deleted API {apiId}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> ChangeLifecycle(CliContext cli, string id, string action, CancellationToken ct)
    {
        using var client = cli.Connect();
        var api = await client.ChangeLifecycleAsync(id, action, ct);
        if (cli.Json)
        {
            cli.PrintJson(api);
        }
        else
        {
            cli.Out.WriteLine($"API {api.Str("name") ?? id} {api.Str("version")} is now {api.Str("state") ?? "changed"}");
            if (api.Str("state") == "Published" && api.Str("gatewayUrl") is { } url)
            {
                cli.Out.WriteLine($"Gateway URL: {url}");
            }
        }

        return ExitCodes.Ok;
    }

    /// <summary>Accepts publish, PUBLISH, pre-release, demote_to_created ... and sends the contract's spelling.</summary>
    public static string NormalizeAction(string action)
    {
        var bare = action.Replace("-", "").Replace("_", "").Replace(" ", "");
        return LifecycleActions.FirstOrDefault(a => a.Equals(bare, StringComparison.OrdinalIgnoreCase)) ?? action;
    }

    public static void PrintApi(TextWriter output, JsonNode api) =>
        Table.WriteFields(output,
        [
            ("ID", api.Str("id")),
            ("Name", api.Str("name")),
            ("Version", api.Str("version")),
            ("Context", api.Str("context")),
            ("State", api.Str("state")),
            ("Default version", api.Str("isDefaultVersion")),
            ("Production endpoint", api["endpoint"].Str("production")),
            ("Sandbox endpoint", api["endpoint"].Str("sandbox")),
            ("Plans", api.Join("plans")),
            ("Tags", api.Join("tags")),
            ("Description", api.Str("description")),
            ("Provider", api.Str("provider")),
            ("Gateway URL", api.Str("gatewayUrl")),
            ("Created", api.Str("createdAt")),
            ("Updated", api.Str("updatedAt")),
        ]);

    public static List<string> SplitList(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    public static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static Argument<string> IdArgument() => new("id") { Description = "API id (see tollgate apis list)" };
}
