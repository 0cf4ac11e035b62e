using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>End to end over loopback: ClientWebSocket → proxy (connector + relay; Kestrel or raw socket front per engine) → Kestrel echo backend.</summary>
public abstract class RelayTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly RelayOptions TestOptions = new() { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task Text_and_binary_messages_echo_and_are_counted()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        await ws.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var (type, data) = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("hello", Encoding.UTF8.GetString(data));

        byte[] binary = [0, 1, 2, 255, 254];
        await ws.SendAsync(binary, WebSocketMessageType.Binary, true, default);
        (type, data) = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(binary, data);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", default);
        await relay.Completion.WaitAsync(Wait);
        Assert.Equal(2, relay.Counters.MessagesIn);
        Assert.Equal(10, relay.Counters.BytesIn);
        Assert.Equal(2, relay.Counters.MessagesOut);
        Assert.Equal(10, relay.Counters.BytesOut);
    }

    [Fact]
    public async Task Fragmented_200KB_message_arrives_intact_and_counts_once()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        var payload = new byte[200_000];
        new Random(42).NextBytes(payload);
        // Uneven fragments, so frame headers straddle the relay's 16 KiB reads.
        for (int offset = 0, size = 7_001; offset < payload.Length; offset += size, size += 3_333)
        {
            int n = Math.Min(size, payload.Length - offset);
            await ws.SendAsync(payload.AsMemory(offset, n), WebSocketMessageType.Binary, offset + n == payload.Length, default);
        }
        var (_, echoed) = await ReceiveMessageAsync(ws);
        Assert.Equal(payload, echoed);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Client, result.ClosedBy);
        Assert.Equal(1, relay.Counters.MessagesIn);
        Assert.Equal(200_000, relay.Counters.BytesIn);
        Assert.Equal(1, relay.Counters.MessagesOut);
        Assert.Equal(200_000, relay.Counters.BytesOut);
    }

    [Fact]
    public async Task Subprotocol_and_compression_negotiation_pass_through()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("chat");
        ws.Options.AddSubProtocol("superchat");
        // permessage-deflate sets RSV1 on data frames: the relay must let it through.
        ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        await ws.ConnectAsync(proxy.WsUri("/echo?room=1"), default).WaitAsync(Wait);
        await proxy.NextConnectionAsync();
        Assert.Equal("superchat", ws.SubProtocol);

        var request = await backend.Request.Task.WaitAsync(Wait);
        Assert.Equal("/echo", request.Path);
        Assert.Equal("?room=1", request.QueryString.Value);
        Assert.Equal("127.0.0.1", request.Headers["X-Forwarded-For"]);

        string text = string.Concat(Enumerable.Repeat("compress me ", 1000));
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, default);
        var (_, data) = await ReceiveMessageAsync(ws);
        Assert.Equal(text, Encoding.UTF8.GetString(data));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
    }

    [Fact]
    public async Task Close_codes_and_reasons_pass_through_both_ways()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        await ws.CloseAsync((WebSocketCloseStatus)4001, "client bye", default).WaitAsync(Wait);
        var received = await backend.ReceivedClose.Task.WaitAsync(Wait);
        Assert.Equal((WebSocketCloseStatus)4001, received.Status);
        Assert.Equal("client bye", received.Reason);
        Assert.Equal((WebSocketCloseStatus)4002, ws.CloseStatus);
        Assert.Equal("backend bye", ws.CloseStatusDescription);

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(4001, "client bye", RelayCloser.Client, null), result);
    }

    [Fact]
    public async Task Backend_initiated_close_reaches_the_client()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        await ws.SendAsync("close:4003:server says bye"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var r = await ws.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal((WebSocketCloseStatus)4003, r.CloseStatus);
        Assert.Equal("server says bye", r.CloseStatusDescription);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(4003, "server says bye", RelayCloser.Backend, null), result);
    }

    [Fact]
    public async Task Oversized_message_closes_sender_with_1009_and_backend_with_1001()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions with { MaxMessageBytes = 64 * 1024 }, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        // Within the limit across fragments: fine.
        await ws.SendAsync(new byte[40_000], WebSocketMessageType.Binary, false, default);
        await ws.SendAsync(new byte[20_000], WebSocketMessageType.Binary, true, default);
        var (_, echoed) = await ReceiveMessageAsync(ws);
        Assert.Equal(60_000, echoed.Length);

        // Over it: 40 000 + 40 000 in two fragments.
        await ws.SendAsync(new byte[40_000], WebSocketMessageType.Binary, false, default);
        await ws.SendAsync(new byte[40_000], WebSocketMessageType.Binary, true, default);
        // The first fragment was within the limit and may already be echoing back: skip data until the close.
        WebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(new byte[64 * 1024], default).WaitAsync(Wait);
        } while (r.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, r.CloseStatus);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var atBackend = await backend.ReceivedClose.Task.WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, atBackend.Status);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Gateway, result.ClosedBy);
        Assert.Equal((ushort)1009, result.CloseCode);
        Assert.Equal(1, relay.Counters.MessagesIn);
    }

    [Fact]
    public async Task Backend_dying_mid_connection_gives_the_client_1011()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        await ws.SendAsync("die"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var r = await ws.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, r.CloseStatus);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Backend, result.ClosedBy);
        Assert.Equal((ushort)1006, result.CloseCode);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public async Task Client_vanishing_sends_1001_to_the_backend()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        ws.Abort();
        ws.Dispose();
        var atBackend = await backend.ReceivedClose.Task.WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, atBackend.Status);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Client, result.ClosedBy);
    }

    [Fact]
    public async Task RequestClose_sends_code_and_reason_to_both_sides()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();
        await ws.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, default);
        await ReceiveMessageAsync(ws);

        Assert.True(relay.RequestClose(1008, "revoked"));
        Assert.False(relay.RequestClose(1001, "again"));

        var r = await ws.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, r.CloseStatus);
        Assert.Equal("revoked", r.CloseStatusDescription);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var atBackend = await backend.ReceivedClose.Task.WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, atBackend.Status);
        Assert.Equal("revoked", atBackend.Reason);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1008, "revoked", RelayCloser.Gateway, null), result);
    }

    [Fact]
    public async Task Idle_connection_is_closed_with_1001()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions with { IdleTimeout = TimeSpan.FromMilliseconds(300) }, Engine);
        using var ws = await ConnectAsync(proxy.WsUri("/echo"));
        var relay = await proxy.NextConnectionAsync();

        var r = await ws.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, r.CloseStatus);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Gateway, result.ClosedBy);
        Assert.Equal((ushort)1001, result.CloseCode);
    }

    [Fact]
    public async Task Slow_backend_pushes_back_on_the_client_instead_of_buffering()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions with { MaxMessageBytes = 0 }, Engine);
        var ws = await ConnectAsync(proxy.WsUri("/silent"));
        var relay = await proxy.NextConnectionAsync();

        const int total = 64 * 1024 * 1024;
        var chunk = new byte[1024 * 1024];
        var send = Task.Run(async () =>
        {
            for (int sent = 0; sent < total; sent += chunk.Length)
            {
                await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, default);
            }
        });
        var winner = await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.NotSame(send, winner);
        // Only socket and Kestrel buffers hold the rest; the relay itself keeps one 16 KiB buffer.
        Assert.InRange(relay.Counters.BytesIn, 0, total / 2);

        ws.Abort();
        relay.RequestClose(1001, "test over");
        await relay.Completion.WaitAsync(Wait);
        await Assert.ThrowsAnyAsync<Exception>(() => send);
        ws.Dispose();
    }

    [Fact]
    public async Task A_first_frame_sent_with_the_upgrade_request_is_relayed()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var proxy = await RelayProxy.StartAsync(backend.Endpoint, TestOptions, Engine);
        var uri = proxy.WsUri("/echo");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();

        // A client that does not wait for the 101: its first frame comes in the same write as the request head, so the
        // front has read it already (on the loop engine: the handed-over socket's leftover bytes).
        byte[] request = [.. Encoding.ASCII.GetBytes($"GET /echo HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            .. Utf8ScannerTests.Frame(FrameHeader.Text, "early"u8.ToArray())];
        await stream.WriteAsync(request);
        var relay = await proxy.NextConnectionAsync();

        var seen = new List<byte>();
        var buffer = new byte[1024];
        int headEnd;
        while ((headEnd = seen.ToArray().AsSpan().IndexOf("\r\n\r\n"u8)) < 0 || seen.Count < headEnd + 4 + 7)
        {
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait);
            Assert.NotEqual(0, n);
            seen.AddRange(buffer[..n]);
        }
        Assert.StartsWith("HTTP/1.1 101 ", Encoding.ASCII.GetString(seen.ToArray(), 0, headEnd));
        byte[] echo = [0x81, 0x05, .. "early"u8];
        Assert.Equal(echo, seen.GetRange(headEnd + 4, seen.Count - headEnd - 4).ToArray());

        await stream.WriteAsync(new byte[] { 0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2 }); // close 1000, masked
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1000, "", RelayCloser.Client, null), result);
        Assert.Equal(1, relay.Counters.MessagesIn); // after completion: the stream relay counts once its write returned
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(uri, default).WaitAsync(Wait);
        return ws;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(WebSocket ws)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, default).WaitAsync(Wait);
            Assert.NotEqual(WebSocketMessageType.Close, r.MessageType);
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                return (r.MessageType, message.ToArray());
            }
        }
    }
}

public sealed class RelayTestsOnStreamRelay : RelayTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class RelayTestsOnSocketLoop : RelayTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
