using System.Net;
using System.Text.Json;
using System.Net.WebSockets;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>The seed tutorial (publish EchoWebSocket and invoke it) through the REST API and a real WebSocket client.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class TutorialTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Tutorial_EchoWebSocket_PublishSubscribeAndInvoke()
    {
        // Sign in (password grant) as the administrator.
        var admin = (await _client.GetUserTokenAsync(Server.AdminUser, Server.AdminPassword)).AccessToken;

        // Design a New WebSocket API → CREATE.
        using (var created = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", admin, new CreateApiRequest(
                   "EchoWebSocket", "/echowebsocket", "1.0.0", new EndpointConfig(Server.EchoEndpoint), ["Gold", "Silver"])))
        {
            var body = await TollgateClient.ExpectJsonAsync(created, HttpStatusCode.Created, "POST /api/publisher/apis");
            Assert.NotNull(created.Headers.Location);
            var api = body.Deserialize<ApiDto>(Json.Options)!;
            Assert.False(string.IsNullOrWhiteSpace(api.Id));
            Assert.Equal("EchoWebSocket", api.Name);
            Assert.Equal("/echowebsocket", api.Context);
            Assert.Equal("1.0.0", api.Version);
            Assert.Equal(Server.EchoEndpoint, api.Endpoint?.Production);
            Assert.Equal(["Gold", "Silver"], api.Plans!.Order().ToArray());
            Assert.Equal("Created", api.State);
            Assert.EndsWith($":{Server.GatewayPort}/echowebsocket/1.0.0", api.GatewayUrl);

            // Lifecycle → PUBLISH.
            var lifecycle = await _client.GetLifecycleAsync(admin, api.Id);
            Assert.Equal("Created", lifecycle.State);
            Assert.Contains("Publish", lifecycle.Actions);
            var published = await _client.ChangeLifecycleAsync(admin, api.Id, "Publish");
            Assert.Equal("Published", published.State);

            // Developer portal key generation wizard: application, keys, subscription (Gold), token.
            var app = await _client.CreateApplicationAsync(admin, $"TutorialApp{Scenario.Unique()}");
            Assert.False(string.IsNullOrWhiteSpace(app.Id));
            var keys = await _client.GenerateKeysAsync(admin, app.Id, "production");
            Assert.Equal("production", keys.KeyType);
            Assert.False(string.IsNullOrEmpty(keys.ConsumerKey));
            Assert.False(string.IsNullOrEmpty(keys.ConsumerSecret));
            var sub = await _client.SubscribeAsync(admin, api.Id, app.Id, "Gold");
            Assert.Equal("Active", sub.Status);
            Assert.Equal("Gold", sub.Plan);
            var token = await _client.GetClientCredentialsTokenAsync(keys.ConsumerKey, keys.ConsumerSecret!);

            // wscat -c ws://localhost:9099/echowebsocket/1.0.0 -H "Authorization: Bearer <token>"
            // (the subscription and keys reach the gateway within a second)
            await GatewayClient.WaitUntilAcceptedAsync($"{Server.GatewayBase}/echowebsocket/1.0.0", token.AccessToken);
            await GatewayClient.AssertEchoesAsync($"{Server.GatewayBase}/echowebsocket/1.0.0", token.AccessToken, "hello from the tutorial");
            // The default version.
            await GatewayClient.AssertEchoesAsync($"{Server.GatewayBase}/echowebsocket", token.AccessToken, "hello default version");
            // Browsers cannot set headers: ?access_token=
            await GatewayClient.AssertEchoesAsync(
                $"{Server.GatewayBase}/echowebsocket/1.0.0?access_token={Uri.EscapeDataString(token.AccessToken)}", null, "hello query token");
        }
    }

    [Fact]
    public async Task Relay_EchoesManyTextAndBinaryMessagesOnOneConnection()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        for (var i = 0; i < 20; i++)
            await GatewayClient.AssertEchoAsync(ws, $"message {i} ✓");

        var binary = new byte[16 * 1024];
        new Random(42).NextBytes(binary);
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.SendAsync(binary, WebSocketMessageType.Binary, true, cts.Token);
        var (type, data) = await GatewayClient.ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(binary, data);

        await GatewayClient.AssertEchoAsync(ws, "still " + Encoding.UTF8.GetString("open"u8));
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Plans_GoldSilverBronzeUnlimited_ExistFromTheStart()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var plans = await _client.GetPlansAsync(admin);
        var names = plans.Items.Select(p => p.Name).ToArray();
        foreach (var expected in new[] { "Gold", "Silver", "Bronze", "Unlimited" })
            Assert.Contains(expected, names);
    }
}
