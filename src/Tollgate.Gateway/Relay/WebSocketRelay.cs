namespace Tollgate.Gateway.Relay;

/// <summary>Entry points of the frame relay between an upgraded client connection and an upgraded backend connection.</summary>
internal static class WebSocketRelay
{
    /// <summary>
    /// Starts relaying and returns the live connection, which the gateway keeps to close it from outside
    /// (<see cref="RelayConnection.RequestClose"/>) and awaits (<see cref="RelayConnection.Completion"/>).
    /// The relay owns both streams from here on and disposes them when done.
    /// </summary>
    /// <param name="client">The upgraded client connection (Kestrel's IHttpUpgradeFeature.UpgradeAsync()).</param>
    /// <param name="backend">The upgraded backend connection (BackendHandshakeResult.Stream).</param>
    /// <param name="backendLeftover">Bytes already read from the backend past its 101 header block; relayed first.</param>
    /// <param name="abort">Drops both connections at once, without close frames (use RequestClose for a clean close).</param>
    public static RelayConnection Start(
        Stream client, Stream backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, CancellationToken abort = default,
        IMessageGate? upstreamGate = null, IMessageGate? downstreamGate = null) =>
        new(client, backend, backendLeftover, options, counters, abort, upstreamGate, downstreamGate);

    /// <summary>Relays until both sides are closed; see <see cref="Start"/>.</summary>
    public static Task<RelayResult> RunAsync(
        Stream client, Stream backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, CancellationToken abort) =>
        Start(client, backend, backendLeftover, options, counters, abort).Completion;
}
