using System.Net;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>The key manager: JWKS, metadata, refresh, introspection and revocation (and the gateway honouring it).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class OAuthTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Jwks_HasTheKidOfIssuedTokens()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var header = Jwt.Header(p.Token.AccessToken);
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        var kid = header.GetProperty("kid").GetString();
        Assert.False(string.IsNullOrEmpty(kid), "the token header must carry a kid");

        using var response = await _client.Http.GetAsync("oauth2/jwks");
        var jwks = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "GET /oauth2/jwks");
        var keys = jwks.GetProperty("keys").EnumerateArray().ToArray();
        var match = keys.Where(k => k.TryGetProperty("kid", out var k2) && k2.GetString() == kid).ToArray();
        Assert.True(match.Length == 1, $"/oauth2/jwks must hold the key with kid {kid}: {jwks}");
        Assert.Equal("RSA", match[0].GetProperty("kty").GetString());
        Assert.False(match[0].TryGetProperty("d", out _), "the JWKS must not publish the private key");

        var payload = Jwt.Payload(p.Token.AccessToken);
        Assert.Equal("tollgate-gateway", AudOf(payload));
        Assert.Equal(p.App.Id, payload.GetProperty("app_id").GetString());
        Assert.Equal("production", payload.GetProperty("key_type").GetString());
        Assert.Equal(p.Keys.ConsumerKey, payload.GetProperty("client_id").GetString());
        foreach (var claim in new[] { "iss", "sub", "exp", "iat", "jti" })
            Assert.True(payload.TryGetProperty(claim, out _), $"the token must carry the '{claim}' claim: {payload}");
    }

    private static string? AudOf(JsonElement payload)
    {
        var aud = payload.GetProperty("aud");
        return aud.ValueKind == JsonValueKind.Array
            ? aud.EnumerateArray().Select(a => a.GetString()).FirstOrDefault(a => a == "tollgate-gateway")
            : aud.GetString();
    }

    [Fact]
    public async Task Metadata_HasIssuerTokenEndpointAndJwksUri()
    {
        using var response = await _client.Http.GetAsync(".well-known/oauth-authorization-server");
        var meta = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "GET /.well-known/oauth-authorization-server");
        foreach (var field in new[] { "issuer", "token_endpoint", "jwks_uri" })
        {
            Assert.True(meta.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0,
                $"the metadata must have '{field}': {meta}");
        }
        Assert.EndsWith("/oauth2/token", meta.GetProperty("token_endpoint").GetString());
        Assert.EndsWith("/oauth2/jwks", meta.GetProperty("jwks_uri").GetString());

        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        Assert.Equal(meta.GetProperty("issuer").GetString(), Jwt.Payload(admin).GetProperty("iss").GetString());
    }

    [Fact]
    public async Task RefreshToken_GivesNewTokens_AndTheOldRefreshTokenThenFails()
    {
        var first = await _client.GetAdminTokenAsync();
        Assert.False(string.IsNullOrEmpty(first.RefreshToken), "the password grant must return a refresh_token");

        using var refreshed = await _client.RefreshRawAsync(first.RefreshToken!);
        var second = await TollgateClient.ReadTokenAsync(refreshed, "refresh_token grant");
        Assert.False(string.IsNullOrEmpty(second.RefreshToken), "the refresh_token grant must return a rotated refresh_token");
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.NotEqual(first.AccessToken, second.AccessToken);

        // The new access token works on the REST API.
        var plans = await _client.GetPlansAsync(second.AccessToken);
        Assert.True(plans.Count > 0);

        // The old refresh token is spent.
        using var reused = await _client.RefreshRawAsync(first.RefreshToken!);
        var body = await reused.Content.ReadAsStringAsync();
        Assert.True(reused.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized,
            $"reusing a rotated refresh token must fail with 400/401, got {(int)reused.StatusCode}: {body}");
        Assert.Equal("invalid_grant", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());

        // The rotated one still works.
        using var third = await _client.RefreshRawAsync(second.RefreshToken!);
        await TollgateClient.ReadTokenAsync(third, "refresh_token grant with the rotated token");
    }

    [Fact]
    public async Task IntrospectThenRevoke_GatewayRefusesTheRevokedToken()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var clientAuth = TollgateClient.Basic(p.Keys.ConsumerKey, p.Keys.ConsumerSecret!);
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);

        var active = await _client.IntrospectAsync(p.Token.AccessToken, clientAuth);
        Assert.True(active.GetProperty("active").GetBoolean(), $"introspection of a fresh token: {active}");
        Assert.Equal(p.Keys.ConsumerKey, active.GetProperty("client_id").GetString());

        // The admin may introspect too.
        var byAdmin = await _client.IntrospectAsync(p.Token.AccessToken, TollgateClient.Bearer(p.AdminToken));
        Assert.True(byAdmin.GetProperty("active").GetBoolean(), $"introspection by admin: {byAdmin}");

        await _client.RevokeAsync(p.Token.AccessToken, clientAuth, "access_token");

        var inactive = await _client.IntrospectAsync(p.Token.AccessToken, clientAuth);
        Assert.False(inactive.GetProperty("active").GetBoolean(), $"introspection after revocation: {inactive}");

        var (last, elapsed) = await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken,
            h => h.Status != HttpStatusCode.SwitchingProtocols, TimeSpan.FromSeconds(2));
        Note($"refused after {elapsed.TotalMilliseconds:0} ms: {last}");
        Assert.True(last.Status == HttpStatusCode.Unauthorized,
            $"the gateway must refuse a revoked token with 401 within ~1 s; after {elapsed.TotalSeconds:0.0} s got {last}");

        // A new token of the same application still works.
        var fresh = await _client.GetClientCredentialsTokenAsync(p.Keys.ConsumerKey, p.Keys.ConsumerSecret!);
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, fresh.AccessToken);
    }

    [Fact]
    public async Task ClientCredentials_WithWrongSecret_IsRefused()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var response = await _client.PostTokenRawAsync(
            new Dictionary<string, string> { ["grant_type"] = "client_credentials" },
            TollgateClient.Basic(p.Keys.ConsumerKey, "wrong-secret"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized,
            $"client_credentials with a wrong secret must fail with 400/401, got {(int)response.StatusCode}: {body}");
        Assert.Equal("invalid_client", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }
}
