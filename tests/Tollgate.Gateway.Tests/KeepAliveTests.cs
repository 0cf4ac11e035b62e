using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// Keep-alive: a quiet connection is pinged; a client that answers stays open past the idle time-out, a client
/// that does not (a dead peer behind a silent network) is closed with 1001.
/// </summary>
public abstract class KeepAliveTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly RelayOptions Options = new()
    {
        PingInterval = TimeSpan.FromMilliseconds(100),
        IdleTimeout = TimeSpan.FromMilliseconds(1500), // long enough that a busy machine's stall does not look like a dead client
        CloseHandshakeTimeout = TimeSpan.FromSeconds(1),
    };


    [Fact]
    public async Task A_client_that_answers_pings_stays_open_past_the_idle_timeout_and_still_relays()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        // Both ends answer pings by themselves, as browsers and WebSocket libraries do.
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());

        // Pongs are only read while a receive is pending: keep one pending on each end.
        var clientReceive = client.ReceiveAsync(new byte[64], default);
        var backendReceive = backend.ReceiveAsync(new byte[64], default);
        await Task.Delay(3500); // more than two idle time-outs of silence from the applications
        Assert.False(relay.Completion.IsCompleted, $"closed although the client answered pings: {(relay.Completion.IsCompleted ? relay.Completion.Result : null)}");

        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var r = await backendReceive.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(10, r.Count);
        // The relay may count the message a moment after the backend has its bytes (the count follows the write).
        for (var i = 0; i < 100 && relay.Counters.MessagesIn == 0; i++)
            await Task.Delay(20);
        Assert.True(relay.Counters.MessagesIn == 1, "the data message is counted, pings and pongs are not");
        _ = clientReceive;
    }

    [Fact]
    public async Task A_client_that_never_answers_is_pinged_then_closed_with_1001()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters());
        var backendReceive = backend.ReceiveAsync(new byte[64], default);

        // The raw client reads what the gateway sends and answers nothing.
        var seen = new List<byte>();
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!(seen.Count >= 2 && seen[^1] != 0 && ContainsClose(seen)))
        {
            int n = await client.ReadAsync(buffer, cts.Token);
            if (n == 0) break;
            seen.AddRange(buffer[..n]);
        }
        Assert.Equal(0x89, seen[0]); // the first thing the client got is a ping (FIN + opcode 9, unmasked)
        var result = await relay.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((ushort)1001, result.CloseCode);
        Assert.Equal("idle timeout", result.CloseReason);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await backendReceive.WaitAsync(TimeSpan.FromSeconds(5))).CloseStatus);
    }

    private static bool ContainsClose(List<byte> frames)
    {
        for (int i = 0; i + 1 < frames.Count;)
        {
            if (frames[i] == 0x88) return true;
            i += 2 + (frames[i + 1] & 0x7F);
        }
        return false;
    }
}

public sealed class KeepAliveTestsOnStreamRelay : KeepAliveTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class KeepAliveTestsOnSocketLoop : KeepAliveTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
