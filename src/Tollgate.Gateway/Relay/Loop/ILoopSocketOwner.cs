namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// What a <see cref="RelayLoop"/> drives through one slot: a relayed connection, or a handshake on the gateway's front
/// that becomes one (<see cref="RelayLoop.Replace"/>). Called on the loop's thread only.
/// </summary>
internal interface ILoopSocketOwner
{
    /// <summary>Readiness of the slot's client (side 0) or backend (side 1) socket.</summary>
    void OnEvents(int side, uint events);

    /// <summary>The owner's ticket is due in the loop's timers (the owner may no longer need the wake-up: it checks its own deadlines).</summary>
    void OnTimer(long due, long now);

    /// <summary>An unexpected exception in the owner's code: drop its sockets and report.</summary>
    void Fail(Exception e);
}
