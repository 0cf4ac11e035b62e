using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Listener.Transport;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>The relay alone, between two loopback TCP pairs, so tests can write raw (even invalid) frames.</summary>
public abstract class RawRelayTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly RelayOptions Options = new() { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) };


    [Fact]
    public async Task Unmasked_client_frame_is_a_protocol_error()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        await client.WriteAsync(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' });
        var frame = new byte[64];
        int n = await client.ReadAsync(frame).AsTask().WaitAsync(Wait);
        Assert.True(n >= 4);
        Assert.Equal(0x88, frame[0]);        // FIN + close, unmasked (server to client)
        Assert.Equal(1002, frame[2] << 8 | frame[3]);

        var r = await backend.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, r.CloseStatus);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        client.Dispose();

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1002, "protocol error", RelayCloser.Gateway, "client sent an invalid frame"), result);
        Assert.Equal(0, relay.Counters.MessagesIn);
    }

    [Fact]
    public async Task Backend_leftover_is_relayed_first_and_64_bit_frames_pass()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        // What the connector read past the 101: a whole frame and half of the next one's header.
        byte[] leftover = [0x81, 0x05, .. "early"u8, 0x82];
        await backendEnd.WriteAsync(new byte[] { 0x03, 1, 2, 3 }); // the rest of that binary frame
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, leftover, Options, new RelayCounters());

        var buffer = new byte[200_000];
        var r = await client.ReceiveAsync(buffer, default).WaitAsync(Wait);
        Assert.Equal("early", Encoding.UTF8.GetString(buffer, 0, r.Count));
        r = await client.ReceiveAsync(buffer, default).WaitAsync(Wait);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..r.Count]);

        // 100 000 bytes in one frame: a 64-bit length header.
        var big = new byte[100_000];
        new Random(7).NextBytes(big);
        await client.SendAsync(big, WebSocketMessageType.Binary, true, default);
        int got = 0;
        ValueWebSocketReceiveResult vr;
        do
        {
            vr = await backend.ReceiveAsync(buffer.AsMemory(got), default).AsTask().WaitAsync(Wait);
            got += vr.Count;
        } while (!vr.EndOfMessage);
        Assert.Equal(big, buffer[..got]);

        var closeAtBackend = backend.ReceiveAsync(new byte[16], default);
        var clientClose = client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default);
        Assert.Equal("bye", (await closeAtBackend.WaitAsync(Wait)).CloseStatusDescription);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await clientClose.WaitAsync(Wait);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1000, "bye", RelayCloser.Client, null), result);
        Assert.Equal(2, relay.Counters.MessagesOut);
        Assert.Equal(8, relay.Counters.BytesOut);
        Assert.Equal(1, relay.Counters.MessagesIn);
        Assert.Equal(100_000, relay.Counters.BytesIn);
    }

    [Fact]
    public async Task Backend_message_over_its_limit_gives_backend_1009_and_client_1001()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options with { MaxBackendMessageBytes = 1000 }, new RelayCounters());

        await backend.SendAsync(new byte[1001], WebSocketMessageType.Binary, true, default);
        var backendClose = backend.ReceiveAsync(new byte[16], default);
        var r = await client.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, r.CloseStatus);
        r = await backendClose.WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, r.CloseStatus);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal((ushort)1009, result.CloseCode);
        Assert.Equal(RelayCloser.Gateway, result.ClosedBy);
    }

    [Fact]
    public async Task Pings_and_pongs_are_forwarded_but_not_counted()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        byte[] ping = [0x89, 0x82, 1, 2, 3, 4, (byte)'a' ^ 1, (byte)'b' ^ 2];
        await client.WriteAsync(ping);
        var got = new byte[ping.Length];
        await backendEnd.ReadExactlyAsync(got).AsTask().WaitAsync(Wait);
        Assert.Equal(ping, got);
        byte[] pong = [0x8A, 0x02, (byte)'a', (byte)'b'];
        await backendEnd.WriteAsync(pong);
        got = new byte[pong.Length];
        await client.ReadExactlyAsync(got).AsTask().WaitAsync(Wait);
        Assert.Equal(pong, got);

        using var cts = new CancellationTokenSource();
        Assert.Equal(0, relay.Counters.MessagesIn + relay.Counters.MessagesOut);
        client.Dispose();
        backendEnd.Dispose();
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal((ushort)1006, result.CloseCode);
    }

    [Fact]
    public async Task Abort_token_drops_both_connections()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var cts = new CancellationTokenSource();
        // The socket loop has no abort token: given a cancellable one, Start must route even a connection the loop could
        // take (a handed-over client socket) to the stream relay, so the token still drops both.
        Stream clientSide = Engine == RelayEngine.Loop ? new HandedOverStream(clientRelayEnd.Socket, []) : clientRelayEnd;
        var relay = WebSocketRelay.Start(clientSide, backendRelayEnd, default, Options, new RelayCounters(), cts.Token);
        Assert.IsType<RelayConnection>(relay);
        cts.Cancel();
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(null, null, RelayCloser.Gateway, "relay aborted"), result);
        Assert.Equal(0, await client.ReadAsync(new byte[1]).AsTask().WaitAsync(Wait));
        Assert.Equal(0, await backendEnd.ReadAsync(new byte[1]).AsTask().WaitAsync(Wait));
        client.Dispose();
        backendEnd.Dispose();
    }
}

public sealed class RawRelayTestsOnStreamRelay : RawRelayTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class RawRelayTestsOnSocketLoop : RawRelayTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
