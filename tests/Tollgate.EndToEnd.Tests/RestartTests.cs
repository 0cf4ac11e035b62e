using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>Stopping and starting the server on the same data folder keeps everything, and old tokens keep working.</summary>
public sealed class RestartTests(DedicatedServerFixture fx, ITestOutputHelper output)
    : E2eTestBase(fx.Server, output), IClassFixture<DedicatedServerFixture>
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Restart_KeepsApiApplicationKeysSubscription_AndOldTokenStillWorks()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var userToken = await _client.GetAdminTokenAsync();
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken, "before restart");
        var pidBefore = Server.ProcessId;

        await Server.RestartAsync();
        Note($"restarted: pid {pidBefore} → {Server.ProcessId}");
        Assert.NotEqual(pidBefore, Server.ProcessId);

        // A token obtained before the restart still connects and echoes (signing keys persisted).
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken, "after restart");

        // The user token from before the restart still works on the REST API.
        var admin = userToken.AccessToken;
        var api = await _client.GetApiAsync(admin, p.Api.Id);
        Assert.Equal(p.Api.Name, api.Name);
        Assert.Equal(p.Api.Context, api.Context);
        Assert.Equal("Published", api.State);
        Assert.Equal(p.Api.Endpoint?.Production, api.Endpoint?.Production);

        var app = await _client.GetApplicationAsync(admin, p.App.Id);
        Assert.Equal(p.App.Name, app.Name);

        var keys = await _client.GetKeysAsync(admin, p.App.Id);
        var production = Assert.Single(keys.Items, k => k.KeyType == "production");
        Assert.Equal(p.Keys.ConsumerKey, production.ConsumerKey);
        Assert.True(string.IsNullOrEmpty(production.ConsumerSecret), "the consumer secret is shown once and never listed");

        var subs = await _client.GetSubscriptionsAsync(admin, p.App.Id);
        var sub = Assert.Single(subs.Items, s => s.Id == p.Subscription.Id);
        Assert.Equal(p.Api.Id, sub.ApiId);
        Assert.Equal("Gold", sub.Plan);
        Assert.Equal("Active", sub.Status);

        // The (hashed) secret still authenticates the application; the admin password is unchanged.
        var fresh = await _client.GetClientCredentialsTokenAsync(p.Keys.ConsumerKey, p.Keys.ConsumerSecret!);
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, fresh.AccessToken, "new token after restart");
        await _client.GetAdminTokenAsync();
    }
}
