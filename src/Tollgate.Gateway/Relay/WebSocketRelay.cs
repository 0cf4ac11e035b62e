using System.Net.Sockets;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Relay;

/// <summary>Entry points of the frame relay between an upgraded client connection and an upgraded backend connection.</summary>
internal static class WebSocketRelay
{
    /// <summary>
    /// Starts relaying and returns the live connection, which the gateway keeps to close it from outside
    /// (<see cref="IRelayConnection.RequestClose"/>) and awaits (<see cref="IRelayConnection.Completion"/>).
    /// The relay owns both streams from here on and disposes them when done. When both sides are plain TCP sockets
    /// (the client handed over by the gateway's transport, the backend a ws:// connection) and the socket loops run
    /// (Linux x86-64, TOLLGATE_RELAY_LOOPS not 0), a loop relays them; otherwise the stream relay does.
    /// </summary>
    /// <param name="client">The upgraded client connection (Kestrel's IHttpUpgradeFeature.UpgradeAsync()).</param>
    /// <param name="backend">The upgraded backend connection (BackendHandshakeResult.Stream).</param>
    /// <param name="backendLeftover">Bytes already read from the backend past its 101 header block; relayed first.</param>
    /// <param name="abort">Drops both connections at once, without close frames (use RequestClose for a clean close); stream relay only.</param>
    public static IRelayConnection Start(
        Stream client, Stream backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, CancellationToken abort = default,
        IMessageGate? upstreamGate = null, IMessageGate? downstreamGate = null)
    {
        if (RelayLoops.IsEnabled && !abort.CanBeCanceled && client is ISocketSource source && PlainSocket(backend) is { } backendSource)
            return RelayLoops.Start(source, backendSource, backendLeftover, options, counters, upstreamGate, downstreamGate);
        // The stream relay reads the client through .NET's socket engine: a loop that ran its handshake lets it go.
        (client as ISocketSource)?.Front?.Release();
        return new RelayConnection(client, backend, backendLeftover, options, counters, abort, upstreamGate, downstreamGate);
    }

    /// <summary>A backend the loop can relay: one the loop front connected, or a NetworkStream exactly (a ws:// backend); not TLS.</summary>
    private static ISocketSource? PlainSocket(Stream backend) => backend switch
    {
        ISocketSource source => source,
        NetworkStream { Socket: { } socket } plain when plain.GetType() == typeof(NetworkStream) => new SocketSource(socket),
        _ => null,
    };
}
