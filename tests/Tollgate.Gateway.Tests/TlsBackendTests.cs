using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Backend;

namespace Tollgate.Gateway.Tests;

/// <summary>wss:// backends: certificate validation on by default, off with AcceptAnyBackendCertificate.</summary>
public sealed class TlsBackendTests
{
    [Fact]
    public async Task Self_signed_backend_is_rejected_unless_any_certificate_is_accepted()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var cert = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(cert)));
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Run(async ctx =>
        {
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
            await ws.ReceiveAsync(new byte[16], ctx.RequestAborted);
        });
        await app.StartAsync();
        int port = new Uri(app.Urls.First()).Port;

        var backendRequest = new BackendRequest(new Uri($"wss://127.0.0.1:{port}/"), "/",
            [new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), new("Sec-WebSocket-Version", "13")]);

        var strict = await new BackendConnector().ConnectAsync(backendRequest, TimeSpan.FromSeconds(5), default);
        Assert.Equal(BackendOutcome.Unreachable, strict.Outcome);
        Assert.Contains("TLS", strict.Error);

        var lax = await new BackendConnector(new BackendOptions(AcceptAnyBackendCertificate: true)).ConnectAsync(backendRequest, TimeSpan.FromSeconds(5), default);
        Assert.Equal(BackendOutcome.Upgraded, lax.Outcome);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", lax.GetHeader("Sec-WebSocket-Accept"));
        await lax.Stream!.DisposeAsync();
        await app.StopAsync();
    }
}
