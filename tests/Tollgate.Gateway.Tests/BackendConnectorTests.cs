using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tollgate.Gateway.Backend;

namespace Tollgate.Gateway.Tests;

public sealed class BackendConnectorTests
{
    private static readonly BackendConnector Connector = new();

    private static BackendRequest Request(Uri endpoint, string pathAndQuery = "/", params (string, string)[] headers) =>
        new(endpoint, pathAndQuery, [.. headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)),
            new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), new("Sec-WebSocket-Version", "13")]);

    [Fact]
    public async Task Closed_port_is_unreachable()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var result = await Connector.ConnectAsync(Request(new Uri($"ws://127.0.0.1:{port}/")), TimeSpan.FromSeconds(5), default);
        Assert.Equal(BackendOutcome.Unreachable, result.Outcome);
        Assert.Null(result.Stream);
        Assert.Contains("ConnectionRefused", result.Error);
    }

    [Fact]
    public async Task Plain_http_404_is_refused_with_its_status()
    {
        await using var host = await TestHost.StartAsync(app => app.Run(ctx =>
        {
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        }));
        var result = await Connector.ConnectAsync(Request(host.WsUri("/")), TimeSpan.FromSeconds(5), default);
        Assert.Equal(BackendOutcome.Refused, result.Outcome);
        Assert.Equal(404, result.StatusCode);
        Assert.Null(result.Stream);
    }

    [Fact]
    public async Task Silent_listener_times_out()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts into the backlog, never answers
        var endpoint = new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var started = DateTime.UtcNow;
        var result = await Connector.ConnectAsync(Request(endpoint), TimeSpan.FromMilliseconds(300), default);
        Assert.Equal(BackendOutcome.TimedOut, result.Outcome);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Caller_cancellation_throws()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Connector.ConnectAsync(Request(endpoint), TimeSpan.FromSeconds(10), cts.Token));
    }

    [Fact]
    public async Task Writes_request_line_and_headers_and_returns_101_headers_and_leftover()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[4096];
            int filled = 0;
            while (HttpResponseHead.FindEnd(buffer.AsSpan(0, filled)) < 0)
            {
                filled += await socket.ReceiveAsync(buffer.AsMemory(filled));
            }
            // 101 and a first frame ("hi") in one segment: the frame must come back as leftover.
            await socket.SendAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"u8.ToArray().Concat(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }).ToArray());
            return Encoding.Latin1.GetString(buffer, 0, filled);
        });

        var request = Request(new Uri($"ws://127.0.0.1:{port}/base"), "/base/rest?x=1",
            ("Origin", "https://app.example"), ("Host", "evil"), ("Connection", "close"), ("X-Custom", "v"));
        var result = await Connector.ConnectAsync(request, TimeSpan.FromSeconds(5), default);
        string sent = await server;

        Assert.Equal(BackendOutcome.Upgraded, result.Outcome);
        using var stream = result.Stream;
        Assert.NotNull(stream);
        Assert.Equal("superchat", result.GetHeader("sec-websocket-protocol"));
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", result.GetHeader("Sec-WebSocket-Accept"));
        Assert.Equal(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }, result.Leftover.ToArray());

        Assert.StartsWith($"GET /base/rest?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", sent);
        Assert.Contains("\r\nOrigin: https://app.example\r\n", sent);
        Assert.Contains("\r\nX-Custom: v\r\n", sent);
        Assert.Contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", sent);
        Assert.DoesNotContain("evil", sent);
        Assert.DoesNotContain("close", sent);
        Assert.EndsWith("\r\n\r\n", sent);
    }

    [Fact]
    public async Task Oversized_response_header_is_refused_with_502()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await socket.ReceiveAsync(new byte[4096]);
            var junk = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + string.Concat(Enumerable.Repeat("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1000)));
            try { await socket.SendAsync(junk); } catch (SocketException) { }
        });
        var result = await Connector.ConnectAsync(Request(new Uri($"ws://127.0.0.1:{port}/")), TimeSpan.FromSeconds(5), default);
        await server;
        Assert.Equal(BackendOutcome.Refused, result.Outcome);
        Assert.Equal(502, result.StatusCode);
    }

    [Fact]
    public async Task Header_values_with_line_breaks_are_rejected()
    {
        var request = Request(new Uri("ws://127.0.0.1:1/"), "/", ("X-Evil", "a\r\nInjected: yes"));
        await Assert.ThrowsAsync<ArgumentException>(() => Connector.ConnectAsync(request, TimeSpan.FromSeconds(1), default));
    }

    [Fact]
    public void Response_head_parser_reads_status_and_headers()
    {
        Assert.True(HttpResponseHead.TryParse("HTTP/1.1 101 Switching Protocols\r\nUpgrade:websocket\r\nX-A:  b c \r\n"u8, out int status, out var headers, out _));
        Assert.Equal(101, status);
        Assert.Equal([new("Upgrade", "websocket"), new("X-A", "b c")], headers);
        Assert.True(HttpResponseHead.TryParse("HTTP/1.0 404\r\n"u8, out status, out _, out _));
        Assert.Equal(404, status);
        Assert.False(HttpResponseHead.TryParse("HTTP/2 200 OK"u8, out _, out _, out _));
        Assert.False(HttpResponseHead.TryParse("HTTP/1.1 101 OK\r\n folded: x\r\n"u8, out _, out _, out _));
    }
}
