using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>A server with tight limits and a certificate of its own (PEM): per-address connections, slowloris, TLS.</summary>
public sealed class LimitedServerFixture : IAsyncLifetime
{
    public TollgateServer Server { get; } = new();
    public TollgateClient Client { get; private set; } = null!;
    public X509Certificate2 Certificate { get; private set; } = null!;
    private string _pemDir = "";

    public async Task InitializeAsync()
    {
        _pemDir = Directory.CreateTempSubdirectory("tollgate-pem-").FullName;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tollgate-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(_pemDir, "cert.pem"), Certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_pemDir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        Server.ExtraArgs.AddRange(["--max-connections-per-client", "2", "--handshake-timeout", "1", "--token-expiry-grace", "3",
            "--tls-cert", Path.Combine(_pemDir, "cert.pem"), "--tls-key", Path.Combine(_pemDir, "key.pem")]);
        await Server.StartAsync();
        Client = new TollgateClient(Server);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_pemDir, recursive: true);
    }
}

public sealed class GatewayLimitsTests(LimitedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output), IClassFixture<LimitedServerFixture>
{
    [Fact]
    public async Task One_address_gets_429_with_retry_after_past_its_connection_limit()
    {
        var p = await Scenario.ProvisionAsync(Server, fx.Client);
        using var first = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        using var second = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        var third = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, p.Token.AccessToken);
        Assert.Equal(429, third.Code);
        Assert.NotNull(third.Header("Retry-After"));

        await GatewayClient.CloseQuietlyAsync(first);
        await GatewayClient.PollHandshakeAsync(p.GatewayUrl, p.Token.AccessToken, h => h.Code == 101, TimeSpan.FromSeconds(3));
        await GatewayClient.CloseQuietlyAsync(second);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_slow_down_that_account_only()
    {
        var admin = (await fx.Client.GetAdminTokenAsync()).AccessToken;
        var victim = $"victim{Scenario.Unique()}";
        await fx.Client.CreateUserAsync(admin, victim, "right-password-1", "subscriber");
        var form = (string user, string password) => new Dictionary<string, string> { ["grant_type"] = "password", ["username"] = user, ["password"] = password };
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await fx.Client.PostTokenRawAsync(form(victim, "wrong-guess"))).StatusCode);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var slowed = await fx.Client.PostTokenRawAsync(form(victim, "wrong-guess"));
        Assert.Equal(HttpStatusCode.BadRequest, slowed.StatusCode);
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.9), $"the 6th wrong password answered after {sw.ElapsedMilliseconds} ms");
        var body = await slowed.Content.ReadAsStringAsync();
        Assert.Contains("user name or password is wrong", body); // never says which of the two

        // Another account is not slowed. A busy machine can stall one request, but a slow-down would hold every try:
        // the quickest of three answers must be fast.
        var quickest = TimeSpan.MaxValue;
        for (var i = 0; i < 3 && quickest >= TimeSpan.FromSeconds(0.9); i++)
        {
            sw.Restart();
            await fx.Client.GetAdminTokenAsync();
            quickest = sw.Elapsed < quickest ? sw.Elapsed : quickest;
        }
        Assert.True(quickest < TimeSpan.FromSeconds(0.9), $"another account was slowed too (quickest of three: {quickest.TotalMilliseconds:0} ms)");
    }

    [Fact]
    public async Task A_connection_outlives_its_token_by_the_configured_grace_only()
    {
        var grace = TimeSpan.FromSeconds(3); // --token-expiry-grace 3 above
        var p = await Scenario.ProvisionAsync(Server, fx.Client);
        var shortLived = await fx.Client.GetApplicationTokenAsync(p.AdminToken, p.App.Id, validitySeconds: 1);
        var expires = DateTimeOffset.FromUnixTimeSeconds(Jwt.Payload(shortLived.AccessToken).GetProperty("exp").GetInt64());
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, shortLived.AccessToken);

        // Expired, but inside the grace: the connection still relays. (On a machine stalled past the grace the echo
        // cannot be checked; the close time below still is.)
        var wait = expires + TimeSpan.FromSeconds(0.3) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        if (DateTimeOffset.UtcNow < expires + grace - TimeSpan.FromSeconds(1))
            await GatewayClient.AssertEchoAsync(ws, "still within the grace");

        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while ((await ws.ReceiveAsync(buffer, cts.Token)).MessageType != System.Net.WebSockets.WebSocketMessageType.Close) { }
        var closedAt = DateTimeOffset.UtcNow;
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, ws.CloseStatus);
        Assert.Equal("token expired", ws.CloseStatusDescription);
        // Not before the grace ran out (exp has whole seconds: allow the sub-second the token was issued within).
        Assert.True(closedAt >= expires + grace - TimeSpan.FromSeconds(0.2),
            $"the connection closed {(closedAt - expires).TotalMilliseconds:0} ms after its token expired, before the {grace.TotalSeconds} s grace ran out");
    }

    [Fact]
    public async Task A_handshake_that_dribbles_is_cut_off()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Server.GatewayPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        var started = DateTime.UtcNow;
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
        }
        catch (IOException)
        {
            // reset by the server: also a cut-off
        }
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the gateway must drop a handshake that never completes");
    }

    [Fact]
    public async Task Configured_pem_certificate_serves_https_and_wss()
    {
        foreach (var port in new[] { Server.HttpsPort, Server.GatewayTlsPort })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            X509Certificate? seen = null;
            await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) => { seen = cert; return true; });
            await ssl.AuthenticateAsClientAsync("localhost");
            Assert.Equal(fx.Certificate.Thumbprint, new X509Certificate2(seen!).Thumbprint);
        }
    }
}
