using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Listener;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>
/// The gateway's own HTTP/1.1 handshake handling on a real Kestrel socket (no APIs deployed): refusals keep their
/// status, headers and problem body, malformed or oversized heads get 400/431, and refused requests keep the connection.
/// </summary>
public sealed class GatewayListenerTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var listener = new GatewayListenerOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseTollgateGatewayListener(listener)));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        // A configured gateway (version 1) with no APIs: unknown paths get 404, not the no-snapshot 503.
        var snapshots = new SnapshotHolder();
        snapshots.Swap(GatewaySnapshot.Empty with { Version = 1 });
        builder.Services.AddTollgateGateway(snapshots, new GatewayOptions(TimeSpan.FromSeconds(2), 1 << 20, 1 << 20, TimeSpan.Zero),
            new LiveConnections("test"));
        _app = builder.Build();
        _app.UseTollgateGateway();
        await _app.StartAsync();
        _port = new Uri(_app.Urls.First()).Port;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(TcpClient, NetworkStream)> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _port);
        return (tcp, tcp.GetStream());
    }

    /// <summary>One response: head and a Content-Length body.</summary>
    private static async Task<(string Head, string Body)> ReadResponseAsync(NetworkStream stream)
    {
        var data = new List<byte>();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = Encoding.ASCII.GetString(data.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var head = text[..end];
                var length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(l => int.Parse(l["Content-Length:".Length..].Trim())).FirstOrDefault();
                if (data.Count >= end + 4 + length)
                    return (head, Encoding.UTF8.GetString(data.ToArray(), end + 4, length));
            }
            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0)
                return (text, "");
            data.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    private const string Upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    [Fact]
    public async Task An_unknown_api_gets_404_with_a_problem_body_and_the_connection_stays_open()
    {
        var (tcp, stream) = await ConnectAsync();
        using var _ = tcp;
        for (var i = 0; i < 2; i++)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /nothing/1.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n{Upgrade}\r\n"));
            var (head, body) = await ReadResponseAsync(stream);
            Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", head);
            Assert.Contains("Cache-Control: no-store", head);
            Assert.Contains("application/problem+json", head);
            Assert.DoesNotContain("Connection: close", head);
            Assert.Contains("No API is deployed at /nothing/1.0.0.", body);
        }
    }

    [Fact]
    public async Task Oversized_headers_get_431_and_the_connection_closes()
    {
        var (tcp, stream) = await ConnectAsync();
        using var _ = tcp;
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /x HTTP/1.1\r\nHost: h\r\nX-Big: {new string('a', 40 * 1024)}\r\n\r\n"));
        var (head, _) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 431", head);
        Assert.Contains("Connection: close", head);
    }

    [Theory]
    [InlineData("GET /x HTTP/1.1\r\n\r\n")]                       // no Host
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nBad Header: v\r\n\r\n")] // space in a header name
    [InlineData("GET x HTTP/1.1\r\nHost: h\r\n\r\n")]              // not origin-form
    public async Task Malformed_requests_get_400(string request)
    {
        var (tcp, stream) = await ConnectAsync();
        using var _ = tcp;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var (head, _) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 400", head);
    }

    [Fact]
    public async Task A_head_that_never_completes_is_dropped_after_the_handshake_timeout()
    {
        var (tcp, stream) = await ConnectAsync();
        using var _ = tcp;
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nHost: h\r\n"));
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang fails here instead of blocking the run
        int n;
        try
        {
            n = await stream.ReadAsync(buffer, cts.Token);
        }
        catch (IOException)
        {
            n = 0;
        }
        Assert.Equal(0, n);
    }
}
