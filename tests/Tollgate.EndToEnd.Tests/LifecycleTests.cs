using System.Net;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>Lifecycle and subscription changes reach the gateway within about a second.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class LifecycleTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Block_RefusesNewConnectionsWithinASecond()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);

        var blocked = await _client.ChangeLifecycleAsync(p.AdminToken, p.Api.Id, "Block");
        Assert.Equal("Blocked", blocked.State);

        var (last, elapsed) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken,
            h => h.Status != HttpStatusCode.SwitchingProtocols, Within);
        Note($"blocked after {elapsed.TotalMilliseconds:0} ms: {last}");
        Assert.True(last.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable,
            $"after Block a new connection must be refused with 404 or 503 within ~1 s; after {elapsed.TotalSeconds:0.0} s got {last}");

        // Publish again: connections are accepted again.
        var republished = await _client.ChangeLifecycleAsync(p.AdminToken, p.Api.Id, "Publish");
        Assert.Equal("Published", republished.State);
        var (again, _) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken,
            h => h.Status == HttpStatusCode.SwitchingProtocols, Within);
        Assert.True(again.Status == HttpStatusCode.SwitchingProtocols, $"after Publish again: {again}");
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);
    }

    [Fact]
    public async Task Unsubscribe_Gives403WithinASecond()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);

        await _client.UnsubscribeAsync(p.AdminToken, p.Subscription.Id);

        var (last, elapsed) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken,
            h => h.Status != HttpStatusCode.SwitchingProtocols, Within);
        Note($"refused after {elapsed.TotalMilliseconds:0} ms: {last}");
        Assert.True(last.Status == HttpStatusCode.Forbidden,
            $"after unsubscribe a new connection must be refused with 403 within ~1 s; after {elapsed.TotalSeconds:0.0} s got {last}");
    }

    [Fact]
    public async Task Deprecated_StillServesExistingSubscribers_RetiredIsGone()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var deprecated = await _client.ChangeLifecycleAsync(p.AdminToken, p.Api.Id, "Deprecate");
        Assert.Equal("Deprecated", deprecated.State);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken, "deprecated but subscribed");

        var retired = await _client.ChangeLifecycleAsync(p.AdminToken, p.Api.Id, "Retire");
        Assert.Equal("Retired", retired.State);
        var (last, elapsed) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken,
            h => h.Status != HttpStatusCode.SwitchingProtocols, Within);
        Assert.True(last.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable,
            $"a retired API must be refused with 404 (or 503) within ~1 s; after {elapsed.TotalSeconds:0.0} s got {last}");
    }

    [Fact]
    public async Task IllegalLifecycleAction_Is409()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var api = await _client.CreateApiAsync(admin, Scenario.NewApi(Server.EchoEndpoint));
        using var response = await _client.SendAsync(HttpMethod.Post, $"api/publisher/apis/{api.Id}/lifecycle", admin, new { action = "Retire" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"Retire from Created must be 409, got {(int)response.StatusCode}: {body}");
        Assert.Contains("Publish", body);
        Assert.Equal("Created", (await _client.GetApiAsync(admin, api.Id)).State);
    }
}
