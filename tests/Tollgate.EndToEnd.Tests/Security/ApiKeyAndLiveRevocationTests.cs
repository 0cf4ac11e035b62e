using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>API keys, and live connections closing within a second when their right to connect goes.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ApiKeyAndLiveRevocationTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Api_keys_work_where_allowed_stay_out_of_the_backend_and_revoking_one_closes_its_connection()
    {
        await using var backend = new InspectBackend();
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true, apiKeys = true }, backend.Endpoint);
        var key = await TollgateClient.ExpectJsonAsync(await _client.SendAsync(HttpMethod.Post,
            $"/api/devportal/applications/{api.AppId}/api-keys", api.AdminToken, new { name = "ci", keyType = "production" }),
            HttpStatusCode.Created, "create API key");
        var apiKey = key.GetProperty("apiKey").GetString()!;
        Assert.StartsWith(key.GetProperty("prefix").GetString()!, apiKey);

        using var byQuery = await GatewayClient.ConnectAsync($"{api.GatewayUrl}?apikey={apiKey}&x=1", bearer: null);
        var report = await SecuredApi.ReadReportAsync(byQuery);
        Assert.Equal("?x=1", report.GetProperty("query").GetString());

        using var byHeader = GatewayClient.NewSocket(bearer: null);
        byHeader.Options.SetRequestHeader("apikey", apiKey);
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await byHeader.ConnectAsync(new Uri(api.GatewayUrl), cts.Token);
        var seen = await SecuredApi.ReadReportAsync(byHeader);
        Assert.Null(SecuredApi.Header(seen, "apikey"));
        Assert.Equal("admin", SecuredApi.Header(seen, "X-Tollgate-Subscriber")); // an API key's subscriber is the application's owner

        var keyId = key.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.SendAsync(HttpMethod.Delete,
            $"/api/devportal/applications/{api.AppId}/api-keys/{keyId}", api.AdminToken)).StatusCode);
        await AssertClosedWithinAsync(byHeader, TimeSpan.FromSeconds(1.5), "API key revoked");
        Assert.Equal(401, (await GatewayClient.TryHandshakeAsync($"{api.GatewayUrl}?apikey={apiKey}", null)).Code);
    }

    [Fact]
    public async Task Api_keys_are_refused_where_the_api_does_not_allow_them()
    {
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true, apiKeys = false });
        var key = await TollgateClient.ExpectJsonAsync(await _client.SendAsync(HttpMethod.Post,
            $"/api/devportal/applications/{api.AppId}/api-keys", api.AdminToken, new { name = "ci" }), HttpStatusCode.Created, "create API key");
        Assert.Equal(401, (await GatewayClient.TryHandshakeAsync($"{api.GatewayUrl}?apikey={key.GetProperty("apiKey").GetString()}", null)).Code);
    }

    [Fact]
    public async Task Revoked_token_closes_its_live_connection_within_a_second()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "before revocation");
        await _client.RevokeAsync(p.Token.AccessToken, TollgateClient.Bearer(p.AdminToken));
        await AssertClosedWithinAsync(ws, TimeSpan.FromSeconds(1), "token revoked");
    }

    [Fact]
    public async Task Blocked_subscription_and_regenerated_secret_close_live_connections()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var first = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(HttpMethod.Post,
            $"/api/publisher/apis/{p.Api.Id}/subscriptions/{p.Subscription.Id}/block", p.AdminToken)).StatusCode);
        await AssertClosedWithinAsync(first, TimeSpan.FromSeconds(1.5), "subscription blocked");
        Assert.Equal(403, (await GatewayClient.TryHandshakeAsync(p.GatewayUrl, p.Token.AccessToken)).Code);

        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(HttpMethod.Post,
            $"/api/publisher/apis/{p.Api.Id}/subscriptions/{p.Subscription.Id}/unblock", p.AdminToken)).StatusCode);
        using var second = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await Task.Delay(1100); // the new secret's cut-off is a whole second after the token's issue time
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(HttpMethod.Post,
            $"/api/devportal/applications/{p.App.Id}/keys/production/secret", p.AdminToken)).StatusCode);
        await AssertClosedWithinAsync(second, TimeSpan.FromSeconds(1.5), "application keys regenerated or tokens revoked");
    }

    [Fact]
    public async Task Expiring_token_closes_its_connection()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var shortLived = await _client.GetApplicationTokenAsync(p.AdminToken, p.App.Id, validitySeconds: 2);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, shortLived.AccessToken);
        await AssertClosedWithinAsync(ws, TimeSpan.FromSeconds(6), "token expired");
    }

    [Fact]
    public async Task Admin_lists_live_connections_and_closes_one()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "count me");
        var list = await TollgateClient.ExpectJsonAsync(await _client.SendAsync(HttpMethod.Get,
            $"/api/admin/connections?applicationId={p.App.Id}", p.AdminToken), HttpStatusCode.OK, "list connections");
        var connection = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal($"{p.Api.Context}/{p.Api.Version}", connection.GetProperty("api").GetString());
        Assert.Equal(1, connection.GetProperty("messagesIn").GetInt64());

        var id = connection.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.SendAsync(HttpMethod.Delete,
            $"/api/admin/connections/{id}?reason=maintenance", p.AdminToken)).StatusCode);
        await AssertClosedWithinAsync(ws, TimeSpan.FromSeconds(1), "maintenance");

        var subscriberToken = await SubscriberTokenAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(HttpMethod.Get, "/api/admin/connections", subscriberToken)).StatusCode);
    }

    [Fact]
    public async Task Admin_pushes_a_message_to_one_connection()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "first");
        var list = await TollgateClient.ExpectJsonAsync(await _client.SendAsync(HttpMethod.Get,
            $"/api/admin/connections?applicationId={p.App.Id}", p.AdminToken), HttpStatusCode.OK, "list connections");
        var id = Assert.Single(list.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64();

        Assert.Equal(HttpStatusCode.Accepted, (await _client.SendAsync(HttpMethod.Post,
            $"/api/admin/connections/{id}/messages", p.AdminToken, new { text = "maintenance at noon" })).StatusCode);
        var (type, data) = await GatewayClient.ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("maintenance at noon", System.Text.Encoding.UTF8.GetString(data));
        await GatewayClient.AssertEchoAsync(ws, "still relaying after the push");

        Assert.Equal(HttpStatusCode.NotFound, (await _client.SendAsync(HttpMethod.Post,
            "/api/admin/connections/999999999/messages", p.AdminToken, new { text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.SendAsync(HttpMethod.Post,
            $"/api/admin/connections/{id}/messages", p.AdminToken, new { text = "x", binary = "eA==" })).StatusCode);
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    private async Task<string> SubscriberTokenAsync()
    {
        var name = $"sub{Scenario.Unique()}";
        await _client.CreateUserAsync((await _client.GetAdminTokenAsync()).AccessToken, name, "long-password-1", "subscriber");
        return (await _client.GetUserTokenAsync(name, "long-password-1")).AccessToken;
    }

    /// <summary>The gateway must close the socket with 1008 and the reason within <paramref name="within"/>.</summary>
    private static async Task AssertClosedWithinAsync(ClientWebSocket ws, TimeSpan within, string reason)
    {
        var sw = Stopwatch.StartNew();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(within + TimeSpan.FromSeconds(5));
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close)
                break;
        }
        Assert.True(sw.Elapsed <= within, $"closed after {sw.Elapsed.TotalMilliseconds:F0} ms, more than {within.TotalMilliseconds} ms");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.CloseStatus);
        Assert.Equal(reason, ws.CloseStatusDescription);
    }
}
