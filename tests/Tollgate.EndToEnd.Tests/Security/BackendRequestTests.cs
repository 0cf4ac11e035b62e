using System.Net;
using System.Security.Cryptography;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>What an API lets its backend see: a signed caller JWT it can verify with the JWKS, and the client headers it chose.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class BackendRequestTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Backend_gets_a_caller_jwt_it_can_verify_with_the_jwks()
    {
        await using var backend = new InspectBackend();
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true, callerJwt = true }, backend.Endpoint);
        using var ws = await GatewayClient.ConnectAsync(api.GatewayUrl, api.AccessToken);
        var caller = SecuredApi.Header(await SecuredApi.ReadReportAsync(ws), "X-Tollgate-Caller");
        Assert.NotNull(caller);
        Assert.NotEqual(api.AccessToken, caller);

        var header = Jwt.Header(caller);
        var jwks = await TollgateClient.ExpectJsonAsync(await _client.Http.GetAsync("/oauth2/jwks"), HttpStatusCode.OK, "jwks");
        var key = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == header.GetProperty("kid").GetString());
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Jwt.Base64UrlDecode(key.GetProperty("n").GetString()!),
            Exponent = Jwt.Base64UrlDecode(key.GetProperty("e").GetString()!),
        });
        var parts = caller.Split('.');
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Jwt.Base64UrlDecode(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "the caller JWT's signature must verify with the JWKS key");

        var claims = Jwt.Payload(caller);
        Assert.Equal("admin", claims.GetProperty("sub").GetString());
        Assert.Equal(api.AppId, claims.GetProperty("app_id").GetString());
        Assert.Equal("Gold", claims.GetProperty("plan").GetString());
        Assert.Equal("production", claims.GetProperty("key_type").GetString());
        Assert.EndsWith("/1.0.0", claims.GetProperty("aud").GetString());
        Assert.True(claims.GetProperty("exp").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task An_api_can_keep_chosen_headers_and_the_origin_from_its_backend()
    {
        await using var backend = new InspectBackend();
        var api = await SecuredApi.CreateAsync(Server, _client,
            new { oauth2 = true, removeRequestHeaders = new[] { "Cookie", "X-Debug" }, forwardOrigin = false }, backend.Endpoint);
        using var ws = GatewayClient.NewSocket(api.AccessToken);
        ws.Options.SetRequestHeader("Cookie", "session=secret");
        ws.Options.SetRequestHeader("X-Debug", "1");
        ws.Options.SetRequestHeader("X-Trace", "abc");
        ws.Options.SetRequestHeader("Origin", "https://app.example.com");
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.ConnectAsync(new Uri(api.GatewayUrl), cts.Token);
        var report = await SecuredApi.ReadReportAsync(ws);
        Assert.Null(SecuredApi.Header(report, "Cookie"));
        Assert.Null(SecuredApi.Header(report, "X-Debug"));
        Assert.Null(SecuredApi.Header(report, "Origin"));
        Assert.Equal("abc", SecuredApi.Header(report, "X-Trace")); // everything else still goes through unchanged
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Without_the_setting_no_caller_jwt_is_sent()
    {
        await using var backend = new InspectBackend();
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true }, backend.Endpoint);
        using var ws = await GatewayClient.ConnectAsync(api.GatewayUrl, api.AccessToken);
        Assert.Null(SecuredApi.Header(await SecuredApi.ReadReportAsync(ws), "X-Tollgate-Caller"));
        await GatewayClient.CloseQuietlyAsync(ws);
    }
}
