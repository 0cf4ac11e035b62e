using System.Net.Sockets;
using Tollgate.Gateway.Listener.Transport;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests;

/// <summary>The two relay engines behind <see cref="WebSocketRelay.Start"/>; the relay conformance suites run on each.</summary>
public enum RelayEngine
{
    /// <summary><see cref="RelayConnection"/>: any stream.</summary>
    Stream,

    /// <summary><see cref="LoopRelayConnection"/>: both sockets owned by an epoll thread.</summary>
    Loop,
}

internal static class RelayEngines
{
    /// <summary>
    /// Starts the relay between the relay's ends of two <see cref="LoopbackPair"/>s as the gateway would on
    /// <paramref name="engine"/>: for the loop the client end is a handed-over socket, as the gateway's transport makes it.
    /// Asserts the engine that really runs, so a loop test cannot silently fall back to the stream relay.
    /// </summary>
    public static IRelayConnection Start(
        RelayEngine engine, NetworkStream clientRelayEnd, NetworkStream backendRelayEnd, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, IMessageGate? upstreamGate = null, IMessageGate? downstreamGate = null)
    {
        Stream client = engine == RelayEngine.Loop ? new HandedOverStream(clientRelayEnd.Socket, []) : clientRelayEnd;
        var relay = WebSocketRelay.Start(client, backendRelayEnd, backendLeftover, options, counters, default, upstreamGate, downstreamGate);
        AssertEngine(engine, relay);
        return relay;
    }

    public static void AssertEngine(RelayEngine engine, IRelayConnection relay)
    {
        if (engine == RelayEngine.Loop)
            Assert.IsType<LoopRelayConnection>(relay);
        else
            Assert.IsType<RelayConnection>(relay);
    }
}
