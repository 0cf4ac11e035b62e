namespace Tollgate.Gateway.Snapshot;

/// <summary>
/// Holds the current snapshot. Readers take <see cref="Current"/> once per handshake and keep
/// that consistent view; writers swap the whole object, never edit it.
/// </summary>
public sealed class SnapshotHolder
{
    private GatewaySnapshot _current = GatewaySnapshot.Empty;

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after a swap, with the new snapshot, so live connections can be re-checked.</summary>
    public event Action<GatewaySnapshot>? Swapped;

    /// <summary>Installs <paramref name="next"/> unless a newer one is already installed.</summary>
    public bool Swap(GatewaySnapshot next)
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current.Version >= next.Version && current.Version != 0)
                return false;
            if (Interlocked.CompareExchange(ref _current, next, current) == current)
                break;
        }
        Swapped?.Invoke(next);
        return true;
    }
}
