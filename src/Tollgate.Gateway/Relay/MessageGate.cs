namespace Tollgate.Gateway.Relay;

/// <summary>What the relay does with a data message a gate was asked about.</summary>
internal enum GateDecision : byte
{
    /// <summary>Forward it now.</summary>
    Pass,
    /// <summary>Hold it (and stop reading that side) for the given delay, then forward it: back-pressure, nothing lost.</summary>
    Delay,
    /// <summary>Skip all its frames (control frames in between still pass).</summary>
    Drop,
    /// <summary>Close both sides with 1008 and the given reason; the message is not forwarded.</summary>
    Close,
}

/// <summary>
/// Throttling of one direction of a relayed connection, consulted once per data message at its first frame header
/// (before any of its bytes are forwarded) and told the payload size of its later frames. Called only from that
/// direction's pump, so an implementation needs no locking of its own; it must not allocate on the pass path.
/// </summary>
internal interface IMessageGate
{
    GateDecision OnMessage(long firstFrameBytes, out long delayNs, out string? reason);

    void OnFrame(long payloadBytes);
}
