using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Gateway.Connections;

/// <summary>One open, relayed connection: who it is, where it goes, and a way to close it or push to it from outside.</summary>
internal sealed class LiveConnection(long id, ApiRoute route, ConnectionIdentity identity, DateTime openedAt, IRelayConnection relay, ConnectionThrottle? throttle = null)
{
    private int _closing;

    public long Id { get; } = id;
    public ApiRoute Route { get; } = route;
    public ConnectionIdentity Identity { get; } = identity;
    public DateTime OpenedAt { get; } = openedAt;
    public RelayCounters Counters => relay.Counters;
    public ConnectionThrottle? Throttle { get; } = throttle;
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Asks the relay to close both sides; only the first request counts.</summary>
    public bool Close(ushort code, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
            return false;
        relay.RequestClose(code, reason);
        return true;
    }

    /// <summary>Pushes a message to the client between the backend's messages; false if it could not within <paramref name="patience"/>.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> payload, bool text, TimeSpan patience)
    {
        var deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        while (!IsClosing)
        {
            if (await relay.SendToClientAsync(payload, text))
                return true;
            if (Environment.TickCount64 >= deadline)
                return false;
            await Task.Delay(10);
        }
        return false;
    }
}
