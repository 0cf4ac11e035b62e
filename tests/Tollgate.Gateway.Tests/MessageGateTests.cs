using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>Throttling gates through the relay: a held message goes on intact, a dropped one vanishes (its control frames do not), a limit closes with 1008.</summary>
public abstract class MessageGateTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly RelayOptions Options = new() { CloseHandshakeTimeout = TimeSpan.FromSeconds(1) };

    /// <summary>Answers each message with the next scripted decision, then Pass.</summary>
    private sealed class ScriptedGate(params GateDecision[] decisions) : IMessageGate
    {
        private readonly ConcurrentQueue<GateDecision> _script = new(decisions);
        public int Messages;
        public long FrameBytes;

        public GateDecision OnMessage(long firstFrameBytes, out long delayNs, out string? reason)
        {
            Interlocked.Increment(ref Messages);
            delayNs = 50_000_000;
            reason = "messages per second over the plan";
            return _script.TryDequeue(out var d) ? d : GateDecision.Pass;
        }

        public void OnFrame(long payloadBytes) => Interlocked.Add(ref FrameBytes, payloadBytes);
    }

    [Fact]
    public async Task A_held_message_goes_on_intact_and_is_not_asked_about_again()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var gate = new ScriptedGate(GateDecision.Delay);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters(), upstreamGate: gate);

        await client.SendAsync("one, "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, default);
        await client.SendAsync("continued"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        await client.SendAsync("two"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        Assert.Equal("one, continued", await ReceiveTextAsync(backend));
        Assert.Equal("two", await ReceiveTextAsync(backend));
        Assert.Equal(2, Volatile.Read(ref gate.Messages)); // asked once per message, not again when the held one went on
        Assert.Equal(9, Interlocked.Read(ref gate.FrameBytes)); // told about the later fragment

        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await backend.ReceiveAsync(new byte[16], default).WaitAsync(Wait);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(RelayCloser.Client, result.ClosedBy);
        Assert.Equal(2, relay.Counters.MessagesIn);
    }

    [Fact]
    public async Task A_dropped_message_vanishes_but_a_ping_inside_it_goes_through()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        var gate = new ScriptedGate(GateDecision.Drop);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters(), upstreamGate: gate);

        var ping = Utf8ScannerTests.Frame(FrameHeader.Ping, "p"u8.ToArray());
        var kept = Utf8ScannerTests.Frame(FrameHeader.Text, "kept"u8.ToArray());
        await client.WriteAsync(Utf8ScannerTests.Frame(FrameHeader.Text, "dro"u8.ToArray(), fin: false));
        await client.WriteAsync(ping);
        await client.WriteAsync(Utf8ScannerTests.Frame(FrameHeader.Continuation, "pped"u8.ToArray()));
        await client.WriteAsync(kept);

        byte[] expected = [.. ping, .. kept];
        var got = new byte[expected.Length];
        await backendEnd.ReadExactlyAsync(got).AsTask().WaitAsync(Wait);
        Assert.Equal(expected, got); // byte for byte as the client sent them

        client.Dispose();
        var close = new byte[2];
        await backendEnd.ReadExactlyAsync(close).AsTask().WaitAsync(Wait);
        Assert.Equal(0x88, close[0]); // next comes the gateway's close (client went away), nothing of the dropped message
        backendEnd.Dispose();
        await relay.Completion.WaitAsync(Wait);
        Assert.Equal(1, relay.Counters.MessagesIn);
        Assert.Equal(4, relay.Counters.BytesIn);
    }

    [Fact]
    public async Task A_limit_on_the_backend_side_closes_both_with_1008()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters(),
            downstreamGate: new ScriptedGate(GateDecision.Pass, GateDecision.Close));

        await backend.SendAsync("first"u8.ToArray(), WebSocketMessageType.Text, true, default);
        await backend.SendAsync("over the limit"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var backendClose = backend.ReceiveAsync(new byte[64], default);
        Assert.Equal("first", await ReceiveTextAsync(client));
        var r = await client.ReceiveAsync(new byte[64], default).WaitAsync(Wait); // never the held message
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, r.CloseStatus);
        Assert.Equal("messages per second over the plan", r.CloseStatusDescription);
        r = await backendClose.WaitAsync(Wait);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, r.CloseStatus);

        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        var result = await relay.Completion.WaitAsync(Wait);
        Assert.Equal(new RelayResult(1008, "messages per second over the plan", RelayCloser.Gateway, "throttled: messages per second over the plan"), result);
        Assert.Equal(1, relay.Counters.MessagesOut);
    }

    private static async Task<string> ReceiveTextAsync(WebSocket ws)
    {
        var buffer = new byte[1024];
        var text = new StringBuilder();
        WebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(buffer, default).WaitAsync(Wait);
            Assert.Equal(WebSocketMessageType.Text, r.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
        } while (!r.EndOfMessage);
        return text.ToString();
    }
}

public sealed class MessageGateTestsOnStreamRelay : MessageGateTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class MessageGateTestsOnSocketLoop : MessageGateTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
