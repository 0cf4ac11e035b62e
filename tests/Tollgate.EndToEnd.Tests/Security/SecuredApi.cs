using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>Creates, publishes and subscribes to an API with given security settings, through the REST API.</summary>
public static class SecuredApi
{
    public sealed record Setup(string ApiId, string AppId, string AdminToken, string GatewayUrl, string? AccessToken, string SubscriptionId);

    public static async Task<Setup> CreateAsync(TollgateServer server, TollgateClient client, object security, string? endpoint = null, bool subscribe = true)
    {
        var admin = (await client.GetAdminTokenAsync()).AccessToken;
        var id = Scenario.Unique();
        var created = await TollgateClient.ExpectJsonAsync(await client.SendAsync(HttpMethod.Post, "/api/publisher/apis", admin, new
        {
            name = $"Sec{id}",
            context = $"/sec{id}",
            version = "1.0.0",
            endpoint = new { production = endpoint ?? server.EchoEndpoint },
            plans = new[] { "Gold" },
            security,
            publish = true,
        }), HttpStatusCode.Created, "create secured API");
        var apiId = created.GetProperty("id").GetString()!;
        var app = await client.CreateApplicationAsync(admin, $"SecApp{id}");
        string? token = null;
        var subscriptionId = "";
        if (subscribe)
        {
            await client.GenerateKeysAsync(admin, app.Id);
            subscriptionId = (await client.SubscribeAsync(admin, apiId, app.Id, "Gold")).Id;
            token = (await client.GetApplicationTokenAsync(admin, app.Id)).AccessToken;
        }
        return new Setup(apiId, app.Id, admin, $"{server.GatewayBase}/sec{id}/1.0.0", token, subscriptionId);
    }

    public static async Task<JsonElement> ReadReportAsync(System.Net.WebSockets.ClientWebSocket ws)
    {
        var (_, data) = await GatewayClient.ReceiveMessageAsync(ws);
        return JsonDocument.Parse(data).RootElement.Clone();
    }

    public static string? Header(JsonElement report, string name) =>
        report.GetProperty("headers").TryGetProperty(name.ToLowerInvariant(), out var v) ? v.GetString() : null;
}
