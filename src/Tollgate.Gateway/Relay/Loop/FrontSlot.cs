namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// Where a handshake on the gateway's front left its sockets: the loop and slot the client's socket is registered in,
/// and the backend's descriptor when the front connected it there too (else -1). The relay takes the slot over.
/// </summary>
/// <remarks>
/// Until it does (at once on the loop's thread, or posted there when the handler ran elsewhere), the front still owns the
/// slot and notes here each readiness it sees on it; the relay reads these on the loop's thread when it adopts the slot,
/// so no edge is lost in between.
/// </remarks>
internal sealed class FrontSlot(RelayLoop loop, int slot, int clientFd, int backendFd)
{
    public RelayLoop Loop => loop;
    public int Slot => slot;
    public int BackendFd => backendFd;

    /// <summary>Takes the sockets out of the slot when the stream relay, not the loop, relays them (a wss:// backend).</summary>
    public void Release() => loop.RunOrPost(() => loop.Unregister(slot, clientFd, backendFd));

    /// <summary>The client's socket may hold bytes the front did not read: the relay must try a read first.</summary>
    public bool ClientEdgeMissed { get; set; }

    /// <summary>The same for the backend's socket in the slot.</summary>
    public bool BackendEdgeMissed { get; set; }
}
