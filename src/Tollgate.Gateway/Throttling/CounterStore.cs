using Tollgate.Core.Plans;

namespace Tollgate.Gateway.Throttling;

/// <summary>
/// Where throttling counters live. A connection acquires the counters of its limits when it opens (and again when
/// its plan changes) and releases them when it ends; the hot path then works on the counter objects directly,
/// never through the store.
/// </summary>
/// <remarks>
/// The local store (<see cref="LocalThrottleCounterStore"/>) makes limits exact within one gateway node. The cluster
/// store (<see cref="Cluster.ClusterThrottleCounterStore"/>) plugs in behind the same interface and returns the same
/// counter types: it keeps them local for the hot path and, every sync interval (200 ms by default), pushes each
/// counter's consumption since the last sync to the control plane's database under the counter's
/// <see cref="ThrottleCounter.Key"/> (plus the quota window start) with a SQL upsert, and folds what the other nodes
/// consumed back in with <see cref="RateCounter.AbsorbNs"/> and <see cref="QuotaCounter.AbsorbIn"/>. Limits are then
/// exact per node and cluster-wide within a bounded lag, the approach of Kong's <c>cluster</c> and <c>redis</c>
/// policies, without a network call per message.
/// </remarks>
public interface IThrottleCounterStore
{
    RateCounter AcquireRate(string key);
    QuotaCounter AcquireQuota(string key, LimitPeriod period);
    ConnectionCounter AcquireConnections(string key);
    void Release(ThrottleCounter counter);
}

/// <summary>In-memory counters of this node. Counters nobody holds are forgotten once their window is over.</summary>
public sealed class LocalThrottleCounterStore : IThrottleCounterStore, IDisposable
{
    private readonly Dictionary<string, ThrottleCounter> _counters = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly Timer _sweep;

    public LocalThrottleCounterStore(TimeSpan? sweepEvery = null)
    {
        var period = sweepEvery ?? TimeSpan.FromMinutes(1);
        _sweep = new Timer(_ => Sweep(), null, period, period);
    }

    public int Count
    {
        get { lock (_gate) return _counters.Count; }
    }

    public RateCounter AcquireRate(string key) => Acquire(key, k => new RateCounter(k));

    public QuotaCounter AcquireQuota(string key, LimitPeriod period) => Acquire(key, k => new QuotaCounter(k, period));

    public ConnectionCounter AcquireConnections(string key) => Acquire(key, k => new ConnectionCounter(k));

    public void Release(ThrottleCounter counter)
    {
        lock (_gate)
            counter.References--;
    }

    /// <summary>Forgets counters that nobody holds and whose window is over (a new one would start the same).</summary>
    public void Sweep()
    {
        long now = ThrottleClock.NowNs();
        long utc = DateTime.UtcNow.Ticks;
        lock (_gate)
        {
            foreach (var (key, counter) in _counters)
            {
                if (counter.References <= 0 && counter.IsIdle(now, utc))
                    _counters.Remove(key);
            }
        }
    }

    /// <summary>The counters held now (for a cluster store's sync).</summary>
    public IReadOnlyList<ThrottleCounter> Counters()
    {
        lock (_gate)
            return [.. _counters.Values];
    }

    public void Dispose() => _sweep.Dispose();

    private T Acquire<T>(string key, Func<string, T> create) where T : ThrottleCounter
    {
        lock (_gate)
        {
            if (!_counters.TryGetValue(key, out var counter) || counter is not T)
                _counters[key] = counter = create(key);
            counter.References++;
            return (T)counter;
        }
    }
}
