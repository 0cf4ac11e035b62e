namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// Where a handshake on the gateway's front left its sockets: the loop and slot the client's socket is registered in,
/// and the backend's descriptor when the front connected it there too (else -1). The relay takes the slot over.
/// </summary>
/// <param name="Release">Takes the sockets out of the slot when the stream relay, not the loop, relays them (a wss:// backend).</param>
/// <param name="ClientEdgeMissed">The client's socket may hold bytes the front did not read (the relay must try a read first).</param>
/// <param name="BackendEdgeMissed">The same for the backend's socket in the slot.</param>
internal sealed record FrontSlot(RelayLoop Loop, int Slot, int BackendFd, Action Release, bool ClientEdgeMissed, bool BackendEdgeMissed);
