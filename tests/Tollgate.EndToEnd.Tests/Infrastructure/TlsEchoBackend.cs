using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A wss:// echo backend on a loopback port with a self-signed certificate: TLS by SslStream, the upgrade answered by
/// hand, frames by .NET's own WebSocket. Echoes every message and answers a close with the same code.
/// </summary>
public sealed class TlsEchoBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TlsEchoBackend()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        _certificate = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public string Endpoint => $"wss://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/echo";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await using var ssl = new SslStream(client.GetStream());
            await ssl.AuthenticateAsServerAsync(_certificate);
            var head = await ReadHeadAsync(ssl);
            var keyLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase));
            if (keyLine is null)
            {
                await ssl.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
                return;
            }
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(keyLine[18..].Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            await ssl.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
            using var ws = WebSocket.CreateFromStream(ssl, isServer: true, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan);
            await WebSocketEcho.RunAsync(ws, 64 * 1024, _stop.Token);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
        }
    }

    /// <summary>The request head, byte by byte up to the blank line: the client sends nothing more before the 101.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 32 * 1024 && await stream.ReadAsync(one) == 1)
        {
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
                break;
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _loop; } catch { }
        _certificate.Dispose();
        _stop.Dispose();
    }
}
