namespace Tollgate.Gateway.Relay;

/// <summary>
/// A relayed connection as the gateway sees it, whichever engine moves its bytes: the stream relay
/// (<see cref="RelayConnection"/>, any stream, TLS included) or the socket loop (<see cref="Loop.LoopRelayConnection"/>,
/// plain TCP on Linux, both sockets owned by an epoll thread).
/// </summary>
internal interface IRelayConnection
{
    RelayCounters Counters { get; }

    /// <summary>Completes when both connections are done with; never faults.</summary>
    Task<RelayResult> Completion { get; }

    /// <summary>Closes both sides with this code at the next frame boundary; false if the connection was already closing.</summary>
    bool RequestClose(ushort code, string? reason = null);

    /// <summary>Pushes a message to the client between the backend's messages; false when the client side is busy or closing.</summary>
    Task<bool> SendToClientAsync(ReadOnlyMemory<byte> payload, bool text);
}
