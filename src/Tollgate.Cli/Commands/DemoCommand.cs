using System.CommandLine;
using System.Text.Json.Nodes;
using Tollgate.Cli.Http;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Commands;

/// <summary>
/// <c>tollgate demo</c>: the publish-and-invoke tutorial in one idempotent command. Every step
/// finds what a previous run made before creating anything. Progress goes to stderr; stdout has
/// only the result (one JSON object with <c>--json</c>).
/// </summary>
internal static class DemoCommand
{
    private const string ApiName = "EchoWebSocket";
    private const string ApiContext = "/echowebsocket";
    private const string ApiVersion = "1.0.0";
    private const string ApplicationName = "DemoApplication";
    private const string Plan = "Gold";
    private const string KeyType = "production";

    public static Command Create()
    {
        var user = new Option<string>("--user", "-u") { Description = "User with the creator, publisher and subscriber roles", HelpName = "USER", DefaultValueFactory = _ => "admin" };
        var password = new Option<string?>("--password", "-p") { Description = "Password [default: $TOLLGATE_ADMIN_PASSWORD]", HelpName = "PASSWORD" };
        var backend = new Option<string?>("--backend")
        {
            Description = "WebSocket backend of the EchoWebSocket API [default: the server's sample echo backend]",
            HelpName = "URL",
        };
        var command = new Command("demo",
            $"Set up the tutorial: create and publish {ApiName} ({ApiContext} {ApiVersion}), create {ApplicationName}, " +
            $"generate keys, subscribe with {Plan}, get a token and print the wscat command")
        {
            user, password, backend,
        };

        CliAction.Set(command, async (cli, ct) =>
        {
            var username = cli.Get(user)!;
            var secret = cli.Get(password) is { Length: > 0 } p ? p
                : Environment.GetEnvironmentVariable("TOLLGATE_ADMIN_PASSWORD") is { Length: > 0 } e ? e
                : throw new CliException($"demo needs the password of {username}: pass --password P or set TOLLGATE_ADMIN_PASSWORD", ExitCodes.Usage);

            using var client = cli.Connect();
            cli.Progress($"Signing in to {client.Server.GetLeftPart(UriPartial.Authority)} as {username}...");
            client.SaveSession(username, await client.PasswordTokenAsync(username, secret, ct));

            var backendUrl = cli.Get(backend) is { Length: > 0 } b ? b
                : (await client.InfoAsync(ct)).Str("sampleBackend")
                  ?? throw new CliException("the server runs no sample echo backend: pass --backend ws://host:port/path", ExitCodes.Usage);
            var api = await EnsurePublishedApiAsync(cli, client, backendUrl, ct);
            var apiId = api.Str("id") ?? throw new CliException("the server's API answer has no id");
            var application = await EnsureApplicationAsync(cli, client, ct);
            var applicationId = application.Str("id") ?? throw new CliException("the server's application answer has no id");
            var keys = await EnsureKeysAsync(cli, client, applicationId, ct);
            await EnsureSubscriptionAsync(cli, client, apiId, applicationId, ct);

            var consumerKey = keys.Str("consumerKey") ?? throw new CliException("the server's key answer has no consumerKey");
            var consumerSecret = keys.Str("consumerSecret") ?? throw new CliException("the server's key answer has no consumerSecret");
            cli.Progress("Getting an access token (client_credentials)...");
            var token = (await client.ClientCredentialsTokenAsync(consumerKey, consumerSecret, ct)).Str("access_token")!;

            var gatewayUrl = api.Str("gatewayUrl")
                ?? throw new CliException($"the server's answer for API {apiId} has no gatewayUrl: check the server version");
            var wscat = $"wscat -c {gatewayUrl} -H \"Authorization: Bearer {token}\"";
            if (cli.Json)
            {
                cli.PrintJson(new JsonObject
                {
                    ["gatewayUrl"] = gatewayUrl,
                    ["token"] = token,
                    ["apiId"] = apiId,
                    ["applicationId"] = applicationId,
                    ["consumerKey"] = consumerKey,
                    ["wscat"] = wscat,
                });
            }
            else
            {
                cli.Progress("Done. Connect with wscat (npm install -g wscat):");
                cli.Out.WriteLine($"Gateway URL: {gatewayUrl}");
                cli.Out.WriteLine(wscat);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<JsonNode> EnsurePublishedApiAsync(CliContext cli, TollgateClient client, string backend, CancellationToken ct)
    {
        var api = (await client.ListApisAsync(null, ct)).Items().FirstOrDefault(IsDemoApi);
        if (api is null)
        {
            cli.Progress($"Creating API {ApiName} {ApiVersion} at {ApiContext} (backend {backend})...");
            client.FieldHints = new Dictionary<string, string> { ["endpoint.production"] = "--backend", ["endpoint"] = "--backend" };
            api = await client.CreateApiAsync(new JsonObject
            {
                ["name"] = ApiName,
                ["context"] = ApiContext,
                ["version"] = ApiVersion,
                ["endpoint"] = new JsonObject { ["production"] = backend, ["sandbox"] = null },
                ["plans"] = new JsonArray("Gold", "Silver"),
                ["description"] = "WebSocket echo API of the Tollgate tutorial",
                ["tags"] = new JsonArray(),
                ["publish"] = false,
            }, ct);
            client.FieldHints = null;
        }
        else
        {
            cli.Progress($"API {ApiName} {ApiVersion} exists (id {api.Str("id")}, {api.Str("state")}).");
            if (api["endpoint"].Str("production") is { } current && current != backend)
            {
                cli.Warn($"{ApiName} keeps its endpoint {current} (not {backend}): change it in the Publisher if needed");
            }
        }

        if (api.Str("state") != "Published")
        {
            cli.Progress($"Publishing {ApiName}...");
            api = await client.ChangeLifecycleAsync(api.Str("id")!, "Publish", ct);
        }

        return api;
    }

    private static bool IsDemoApi(JsonNode api) =>
        api.Str("version") == ApiVersion
        && (string.Equals(api.Str("name"), ApiName, StringComparison.OrdinalIgnoreCase)
            || string.Equals(api.Str("context"), ApiContext, StringComparison.OrdinalIgnoreCase));

    private static async Task<JsonNode> EnsureApplicationAsync(CliContext cli, TollgateClient client, CancellationToken ct)
    {
        var application = (await client.ListApplicationsAsync(ct)).Items().FirstOrDefault(a => a.Str("name") == ApplicationName);
        if (application is not null)
        {
            cli.Progress($"Application {ApplicationName} exists (id {application.Str("id")}).");
            return application;
        }

        cli.Progress($"Creating application {ApplicationName}...");
        return await client.CreateApplicationAsync(ApplicationName, "Application of the Tollgate tutorial", ct);
    }

    private static async Task<JsonNode> EnsureKeysAsync(CliContext cli, TollgateClient client, string applicationId, CancellationToken ct)
    {
        var existing = (await client.ListKeysAsync(applicationId, ct)).Items().Any(k => k.Str("keyType") == KeyType);
        if (existing)
        {
            // The secret is shown only once: a new one is the only way to get a usable secret again.
            cli.Progress($"{ApplicationName} already has {KeyType} keys: regenerating the consumer secret...");
            return await client.RegenerateSecretAsync(applicationId, KeyType, ct);
        }

        cli.Progress($"Generating {KeyType} keys for {ApplicationName}...");
        return await client.GenerateKeysAsync(applicationId, KeyType, ct);
    }

    private static async Task EnsureSubscriptionAsync(CliContext cli, TollgateClient client, string apiId, string applicationId, CancellationToken ct)
    {
        var subscription = (await client.ListSubscriptionsAsync(applicationId, ct)).Items().FirstOrDefault(s => s.Str("apiId") == apiId);
        if (subscription is null)
        {
            cli.Progress($"Subscribing {ApplicationName} to {ApiName} with plan {Plan}...");
            await client.SubscribeAsync(apiId, applicationId, Plan, ct);
            return;
        }

        cli.Progress($"{ApplicationName} is already subscribed to {ApiName} (plan {subscription.Str("plan")}, {subscription.Str("status")}).");
        if (subscription.Str("status") is { } status && status != "Active")
        {
            cli.Warn($"the subscription is {status}, not Active: the gateway will refuse the connection until it is unblocked in the Publisher");
        }
    }
}
