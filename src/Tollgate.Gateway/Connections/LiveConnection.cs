using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Gateway.Connections;

/// <summary>One open, relayed connection: who it is, where it goes, and a way to close it from outside.</summary>
internal sealed class LiveConnection(long id, ApiRoute route, ConnectionIdentity identity, DateTime openedAt, RelayCounters counters, Action<ushort, string> requestClose, ConnectionThrottle? throttle = null)
{
    private int _closing;

    public long Id { get; } = id;
    public ApiRoute Route { get; } = route;
    public ConnectionIdentity Identity { get; } = identity;
    public DateTime OpenedAt { get; } = openedAt;
    public RelayCounters Counters { get; } = counters;
    public ConnectionThrottle? Throttle { get; } = throttle;
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Asks the relay to close both sides; only the first request counts.</summary>
    public bool Close(ushort code, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
            return false;
        requestClose(code, reason);
        return true;
    }
}
