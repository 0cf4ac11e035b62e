using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>Seed 001: an authorization URL asked before the upgrade; only 200 lets the client in.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AuthorizationUrlTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Allowed_after_the_token_check_and_named_identity_headers_reach_the_backend()
    {
        await using var authorizer = new FakeAuthorizer();
        await using var backend = new InspectBackend();
        var api = await SecuredApi.CreateAsync(Server, _client,
            new { oauth2 = true, authorizationUrl = authorizer.Url("/allow"), authorizationResponseHeaders = new[] { "X-User" } },
            backend.Endpoint);

        using var ws = await GatewayClient.ConnectAsync(api.GatewayUrl + "/feed?symbol=ABC", api.AccessToken);
        var report = await SecuredApi.ReadReportAsync(ws);
        Assert.Equal("alice@example.com", SecuredApi.Header(report, "X-User"));
        Assert.Null(SecuredApi.Header(report, "X-Secret-Internal"));
        await GatewayClient.CloseQuietlyAsync(ws);

        var (path, headers) = Assert.Single(authorizer.Requests);
        Assert.Equal("/allow", path);
        Assert.Equal($"Bearer {api.AccessToken}", headers["authorization"]);
        Assert.Equal("GET", headers["x-original-method"]);
        Assert.EndsWith("/1.0.0/feed?symbol=ABC", headers["x-original-uri"]);
        Assert.Equal(api.AppId, headers["x-tollgate-application-id"]);
    }

    [Theory]
    [InlineData("/deny401", 401)]
    [InlineData("/deny403", 403)]
    [InlineData("/fail500", 503)]
    [InlineData("/slow", 503)]
    public async Task Refusals_of_the_authorization_url_reach_the_client(string path, int expected)
    {
        await using var authorizer = new FakeAuthorizer();
        var api = await SecuredApi.CreateAsync(Server, _client,
            new { oauth2 = true, authorizationUrl = authorizer.Url(path), authorizationTimeoutMs = 500 });

        var handshake = await GatewayClient.TryHandshakeAsync(api.GatewayUrl, api.AccessToken);
        Assert.Equal(expected, handshake.Code);
        if (expected == 401)
            Assert.Equal("Basic realm=\"partner\"", handshake.Header("WWW-Authenticate"));
        // The gateway keeps serving other APIs.
        var echo = await Scenario.ProvisionAsync(Server, _client);
        await GatewayClient.AssertEchoesAsync(echo.GatewayUrl, echo.Token.AccessToken);
    }

    [Fact]
    public async Task Unreachable_authorization_url_refuses_with_503()
    {
        var closedPort = FreePorts.Take();
        var api = await SecuredApi.CreateAsync(Server, _client,
            new { oauth2 = true, authorizationUrl = $"http://127.0.0.1:{closedPort}/auth" });
        Assert.Equal(503, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, api.AccessToken)).Code);
    }

    [Fact]
    public async Task The_url_alone_decides_with_the_clients_own_credentials_and_answers_are_cached()
    {
        await using var authorizer = new FakeAuthorizer();
        var api = await SecuredApi.CreateAsync(Server, _client,
            new { oauth2 = false, authorizationUrl = authorizer.Url("/allow"), authorizationCacheSeconds = 60 }, subscribe: false);

        Assert.Equal(401, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, bearer: null)).Code);
        void Basic(System.Net.WebSockets.ClientWebSocketOptions o) => o.SetRequestHeader("Authorization", "Basic cGFydG5lcjpzM2NyZXQ=");
        Assert.Equal(101, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, null, Basic)).Code);
        Assert.Equal(101, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, null, Basic)).Code);
        var (_, headers) = Assert.Single(authorizer.Requests);
        Assert.Equal("Basic cGFydG5lcjpzM2NyZXQ=", headers["authorization"]);
    }
}
