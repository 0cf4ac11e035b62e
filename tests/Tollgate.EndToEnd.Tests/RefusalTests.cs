using System.Net;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>Every gateway refusal has its own HTTP status before the upgrade, and the server keeps serving afterwards.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class RefusalTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    private async Task AssertStillServesAsync(Provisioned good)
    {
        Assert.True(Server.IsRunning, "the server process exited");
        await GatewayClient.AssertEchoesAsync(good.GatewayUrl, good.Token.AccessToken, "still alive");
    }

    private static void AssertStatus(HttpStatusCode expected, Handshake h, string what) =>
        Assert.True(h.Status == expected, $"{what}: expected HTTP {(int)expected} before the upgrade, got {h}");

    [Fact]
    public async Task TokenOfApplicationNotSubscribed_Is403()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var other = await _client.CreateApplicationAsync(p.AdminToken, $"Unsubscribed{Scenario.Unique()}");
        var keys = await _client.GenerateKeysAsync(p.AdminToken, other.Id);
        var token = await _client.GetClientCredentialsTokenAsync(keys.ConsumerKey, keys.ConsumerSecret!);

        // The new application's key reaches the gateway within a second; then the answer must be 403.
        var (h, _) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, token.AccessToken,
            x => x.Status == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(2));
        AssertStatus(HttpStatusCode.Forbidden, h, "token of an application without a subscription");
        await AssertStillServesAsync(p);
    }

    [Fact]
    public async Task ExpiredToken_Is401()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var shortLived = await _client.GetApplicationTokenAsync(p.AdminToken, p.App.Id, "production", validitySeconds: 1);
        Assert.True(shortLived.ExpiresIn <= 1, $"asked validitySeconds=1, got expires_in={shortLived.ExpiresIn}");
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var h = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, shortLived.AccessToken);
        AssertStatus(HttpStatusCode.Unauthorized, h, "expired token");
        Assert.NotNull(h.Header("WWW-Authenticate"));
        await AssertStillServesAsync(p);
    }

    [Fact]
    public async Task TamperedToken_Is401()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var h = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, Jwt.TamperSignature(p.Token.AccessToken));
        AssertStatus(HttpStatusCode.Unauthorized, h, "token with a changed signature");
        Assert.NotNull(h.Header("WWW-Authenticate"));

        var garbage = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, "not-a-jwt");
        AssertStatus(HttpStatusCode.Unauthorized, garbage, "a bearer value that is not a JWT");
        await AssertStillServesAsync(p);
    }

    [Fact]
    public async Task NoToken_Is401WithWwwAuthenticate()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var h = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, null);
        AssertStatus(HttpStatusCode.Unauthorized, h, "no credentials");
        var challenge = h.Header("WWW-Authenticate");
        Assert.True(challenge is not null, "a 401 must carry a WWW-Authenticate header");
        Assert.StartsWith("Bearer", challenge!, StringComparison.OrdinalIgnoreCase);
        await AssertStillServesAsync(p);
    }

    [Fact]
    public async Task ApiCreatedButNotPublished_Is404()
    {
        var good = await Scenario.ProvisionAsync(Server, _client);
        var admin = good.AdminToken;
        var api = await _client.CreateApiAsync(admin, Scenario.NewApi(Server.EchoEndpoint));
        Assert.Equal("Created", api.State);

        var h = await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}{api.Context}/{api.Version}", good.Token.AccessToken);
        AssertStatus(HttpStatusCode.NotFound, h, "API created but not published");
        var noToken = await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}{api.Context}/{api.Version}", null);
        AssertStatus(HttpStatusCode.NotFound, noToken, "API created but not published (no token)");
        await AssertStillServesAsync(good);
    }

    [Fact]
    public async Task UnknownContext_Is404()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var h = await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}/no-such-api-{Scenario.Unique()}/1.0.0", p.Token.AccessToken);
        AssertStatus(HttpStatusCode.NotFound, h, "unknown context");
        // (A known context with an unknown version is not a 404: /{context}/{rest} goes to the default version.)
        var unknownNoToken = await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}/no-such-api-{Scenario.Unique()}", null);
        AssertStatus(HttpStatusCode.NotFound, unknownNoToken, "unknown context without a token");
        await AssertStillServesAsync(p);
    }

    [Fact]
    public async Task BackendUnreachable_Is502()
    {
        var closedPort = FreePorts.Take();
        var dead = await Scenario.ProvisionAsync(Server, _client, endpoint: $"ws://127.0.0.1:{closedPort}/echo");
        var h = await GatewayClient.TryHandshakeAsync(dead.GatewayUrl, dead.Token.AccessToken);
        AssertStatus(HttpStatusCode.BadGateway, h, "API whose endpoint is a closed loopback port");

        var good = await Scenario.ProvisionAsync(Server, _client);
        await AssertStillServesAsync(good);
    }

    [Fact]
    public async Task CreateApiWithHttpEndpoint_Is400ProblemNamingEndpointProduction()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var request = Scenario.NewApi("http://x");
        using var response = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", admin, request);
        var body = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.BadRequest, "POST /api/publisher/apis with endpoint http://x");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = body.Deserialize<ProblemDetailsDto>(Json.Options)!;
        Assert.Equal(400, problem.Status);
        Assert.True(problem.Errors is not null && problem.Errors.ContainsKey("endpoint.production"),
            $"the problem's errors must name endpoint.production: {body}");
        Assert.NotEmpty(problem.Errors!["endpoint.production"]);

        // Nothing was created under that context.
        using var list = await _client.SendAsync(HttpMethod.Get, $"api/publisher/apis?query={Uri.EscapeDataString(request.Name)}", admin);
        var items = await TollgateClient.ExpectJsonAsync(list, HttpStatusCode.OK, "GET /api/publisher/apis");
        Assert.Equal(0, items.GetProperty("count").GetInt32());

        var good = await Scenario.ProvisionAsync(Server, _client);
        await AssertStillServesAsync(good);
    }
}
