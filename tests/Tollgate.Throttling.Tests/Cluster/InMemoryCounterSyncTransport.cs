using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Throttling;
using Tollgate.Gateway.Throttling.Cluster;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>
/// The control plane's exchange semantics (running totals, other nodes' connection counts) in memory, for exact
/// step-by-step tests of the store; the real endpoint is exercised by <see cref="ClusterCounterSyncTests"/>.
/// </summary>
internal sealed class InMemoryCounterSyncTransport : ICounterSyncTransport
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Key, long Window), long> _totals = [];
    private readonly Dictionary<(string Node, string Key), int> _connections = [];

    /// <summary>Simulates an unreachable control plane (or one whose database is down).</summary>
    public bool Down { get; set; }

    public int Exchanges { get; private set; }

    public Task<CounterSyncResponse> ExchangeAsync(CounterSyncRequest request, CancellationToken ct)
    {
        if (Down)
            throw new CounterSyncException("control plane answered 503: the database is unreachable");
        lock (_gate)
        {
            Exchanges++;
            var rates = (request.Rates ?? []).Select(r => Add((r.Key, 0), r.Consumed)).ToArray();
            var quotas = (request.Quotas ?? []).Select(q => Add((q.Key, q.WindowStart), q.Consumed)).ToArray();
            foreach (var c in request.Connections ?? [])
                if (c.Count is { } n)
                    _connections[(request.Node, c.Key)] = n;
            var others = (request.Connections ?? [])
                .Select(c => _connections.Where(e => e.Key.Key == c.Key && e.Key.Node != request.Node).Sum(e => e.Value)).ToArray();
            return Task.FromResult(new CounterSyncResponse(rates, quotas, others));
        }
    }

    private long Add((string, long) key, long delta) => _totals[key] = _totals.GetValueOrDefault(key) + delta;
}

/// <summary>Reads the cluster-sync gauge (<c>tollgate_gateway_throttle_cluster_synced{node}</c>) as the /metrics exporter does.</summary>
internal sealed class ClusterSyncGauge : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _values = new();

    public ClusterSyncGauge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName
                && instrument.Name is ThrottleMetrics.ClusterSyncedName or ThrottleMetrics.ClusterSyncFailuresName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "node")
                    _values.AddOrUpdate($"{instrument.Name}|{tag.Value}", value, (_, v) => v + value);
        });
        _listener.Start();
    }

    /// <summary>1 shared, 0 local limits; null if the node never reported.</summary>
    public long? Synced(string node) => _values.TryGetValue($"{ThrottleMetrics.ClusterSyncedName}|{node}", out var v) ? v : null;

    public long Failures(string node) => _values.GetValueOrDefault($"{ThrottleMetrics.ClusterSyncFailuresName}|{node}");

    public void Dispose() => _listener.Dispose();
}
