using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Sync;

namespace Tollgate.Server.Cluster;

/// <summary>
/// The control plane's side of the cluster stream: holds the current snapshot encoded once (not once per node) and wakes
/// every connected node's session after each swap. A session sends whatever is newest when it gets to it, so bursts of
/// changes coalesce and a slow node never makes the control plane queue snapshots.
/// </summary>
internal sealed class NodeStreamHub : IDisposable
{
    private readonly SnapshotHolder _snapshots;
    private readonly Lock _gate = new();
    private readonly HashSet<SemaphoreSlim> _sessions = [];
    private (long Version, byte[] Bytes)? _encoded;

    public NodeStreamHub(SnapshotHolder snapshots)
    {
        _snapshots = snapshots;
        snapshots.Swapped += OnSwapped;
    }

    public int Connected
    {
        get { lock (_gate) return _sessions.Count; }
    }

    /// <summary>The current snapshot as JSON (encoded at most once per version).</summary>
    public (long Version, byte[] Bytes) Current()
    {
        var snapshot = _snapshots.Current;
        var cached = _encoded;
        if (cached is { } c && c.Version == snapshot.Version)
            return c;
        var fresh = (snapshot.Version, SnapshotCodec.Encode(snapshot));
        _encoded = fresh;
        return fresh;
    }

    /// <summary>A signal released after every swap; dispose it through <see cref="Leave"/>.</summary>
    public SemaphoreSlim Join()
    {
        var signal = new SemaphoreSlim(0, 1);
        lock (_gate)
            _sessions.Add(signal);
        return signal;
    }

    public void Leave(SemaphoreSlim signal)
    {
        lock (_gate)
            _sessions.Remove(signal);
        signal.Dispose();
    }

    private void OnSwapped(GatewaySnapshot _)
    {
        lock (_gate)
        {
            foreach (var signal in _sessions)
            {
                // At most one pending wake-up per session: more swaps before it runs coalesce into one send.
                if (signal.CurrentCount == 0)
                {
                    try { signal.Release(); }
                    catch (SemaphoreFullException) { }
                }
            }
        }
    }

    public void Dispose() => _snapshots.Swapped -= OnSwapped;
}
