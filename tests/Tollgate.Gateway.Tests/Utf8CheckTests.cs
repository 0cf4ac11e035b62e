using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>The client's text messages must be UTF-8 (RFC 6455 8.1), through the relay: 1007 to the client, 1001 to the backend.</summary>
public abstract class Utf8CheckTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly RelayOptions Options = new() { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task Invalid_text_from_the_client_gets_1007_and_the_backend_1001()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        // The message ends inside a character on an empty final fragment: found at that fragment's header, so the relay
        // is between frames towards the backend and can send it a close frame.
        await client.WriteAsync(Utf8ScannerTests.Frame(FrameHeader.Text, [0x61, 0xE2], fin: false));
        await client.WriteAsync(Utf8ScannerTests.Frame(FrameHeader.Continuation, []));
        var close = await ReadCloseAsync(client);
        Assert.Equal(1007, close[2] << 8 | close[3]);

        WebSocketReceiveResult r;
        do
        {
            r = await backend.ReceiveAsync(new byte[64], default).WaitAsync(Wait);
        } while (r.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, r.CloseStatus);
        Assert.Equal("client sent invalid UTF-8", r.CloseStatusDescription);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        client.Dispose();

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1007, "invalid UTF-8 in a text message", RelayCloser.Gateway, "client sent a text message that is not UTF-8"), result);
        Assert.Equal(0, relay.Counters.MessagesIn);
    }

    [Fact]
    public async Task Invalid_bytes_inside_a_frame_get_1007_and_the_backend_no_close_frame_inside_that_frame()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        // Found in the payload, after the frame's header went on to the backend: the backend's stream now ends inside a
        // frame, where no close frame may go; it is dropped once the close handshake times out.
        var frame = Utf8ScannerTests.Frame(FrameHeader.Text, [0x61, 0xC3, 0x28]);
        await client.WriteAsync(frame);
        var close = await ReadCloseAsync(client);
        Assert.Equal(1007, close[2] << 8 | close[3]);
        await client.WriteAsync(new byte[] { 0x88, 0x80, 1, 2, 3, 4 }); // the client's close reply (masked, empty)

        var atBackend = new List<byte>();
        var buffer = new byte[256];
        int n;
        while ((n = await backendEnd.ReadAsync(buffer).AsTask().WaitAsync(Wait)) > 0)
            atBackend.AddRange(buffer[..n]);
        int headerLength = frame.Length - 3;
        Assert.Equal(frame[..headerLength], atBackend.ToArray()); // the header (and mask), nothing after it

        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1007, "invalid UTF-8 in a text message", RelayCloser.Gateway, "client sent a text message that is not UTF-8"), result);
        Assert.Equal(0, relay.Counters.MessagesIn);
        client.Dispose();
        backendEnd.Dispose();
    }

    [Fact]
    public async Task Valid_text_split_across_fragments_and_writes_passes()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        var euro = Encoding.UTF8.GetBytes("€"); // E2 82 AC: its bytes go in two fragments
        byte[] wire = [.. Utf8ScannerTests.Frame(FrameHeader.Text, [.. "a"u8, euro[0]], fin: false),
            .. Utf8ScannerTests.Frame(FrameHeader.Continuation, [euro[1], euro[2], .. "b"u8])];
        for (int offset = 0; offset < wire.Length; offset += 3)
        {
            await client.WriteAsync(wire.AsMemory(offset, Math.Min(3, wire.Length - offset)));
            await client.FlushAsync();
        }

        var text = new List<byte>();
        var buffer = new byte[64];
        WebSocketReceiveResult r;
        do
        {
            r = await backend.ReceiveAsync(buffer, default).WaitAsync(Wait);
            Assert.Equal(WebSocketMessageType.Text, r.MessageType);
            text.AddRange(buffer[..r.Count]);
        } while (!r.EndOfMessage);
        Assert.Equal("a€b", Encoding.UTF8.GetString(text.ToArray()));
        // The relay counts a message once its last write returns, which can be just after the backend has read it.
        for (var i = 0; i < 100 && relay.Counters.MessagesIn == 0; i++)
            await Task.Delay(20);
        Assert.Equal(1, relay.Counters.MessagesIn);
        Assert.False(relay.Completion.IsCompleted);
        relay.RequestClose(1001, "test over");
        client.Dispose();
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await relay.Completion.WaitAsync(Wait);
    }

    [Fact]
    public async Task Invalid_text_passes_when_the_check_is_off()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options with { ValidateClientUtf8 = false }, new RelayCounters());

        var frame = Utf8ScannerTests.Frame(FrameHeader.Text, [0x61, 0xC3, 0x28]);
        await client.WriteAsync(frame);
        var got = new byte[frame.Length];
        await backendEnd.ReadExactlyAsync(got).AsTask().WaitAsync(Wait);
        Assert.Equal(frame, got); // relayed as sent, mask and all
        client.Dispose();
        backendEnd.Dispose();
        Assert.Equal((ushort)1006, (await relay.Completion.WaitAsync(Wait)).CloseCode);
        Assert.Equal(1, relay.Counters.MessagesIn); // counted once written, which may be after the backend has the bytes
    }

    /// <summary>Reads what the gateway sends a raw client up to a whole close frame; it must be the first frame.</summary>
    private static async Task<byte[]> ReadCloseAsync(System.IO.Stream client)
    {
        var seen = new List<byte>();
        var buffer = new byte[256];
        while (seen.Count < 2 || seen.Count < 2 + (seen[1] & 0x7F))
        {
            int n = await client.ReadAsync(buffer).AsTask().WaitAsync(Wait);
            Assert.NotEqual(0, n);
            seen.AddRange(buffer[..n]);
        }
        Assert.Equal(0x88, seen[0]); // FIN + close, unmasked
        return seen.ToArray();
    }
}

public sealed class Utf8CheckTestsOnStreamRelay : Utf8CheckTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class Utf8CheckTestsOnSocketLoop : Utf8CheckTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
