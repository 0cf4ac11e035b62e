namespace Tollgate.Gateway.Throttling.Cluster;

// The wire contract of POST /api/cluster/counters (JSON, camelCase), between a gateway node and the control plane.
// The answer's arrays are parallel to the request's: the i-th number answers the i-th entry.

/// <summary>One gateway node's counters since its last exchange.</summary>
/// <param name="Node">The node's name (unique in the cluster: its connection counts are stored under it).</param>
public sealed record CounterSyncRequest(
    string Node,
    IReadOnlyList<RateDelta>? Rates,
    IReadOnlyList<QuotaDelta>? Quotas,
    IReadOnlyList<ConnectionReport>? Connections)
{
    public const int MaxEntries = 5000;
    public const int MaxKeyLength = 256;
    public const int MaxNodeLength = 200;

    public int EntryCount => (Rates?.Count ?? 0) + (Quotas?.Count ?? 0) + (Connections?.Count ?? 0);
}

/// <summary>What this node admitted under a rate key since its last exchange, in nanoseconds of the rate's schedule (cost × window / amount).</summary>
public sealed record RateDelta(string Key, long Consumed);

/// <summary>What this node used of a quota window (Unix ms bounds) since its last exchange, in events or bytes.</summary>
public sealed record QuotaDelta(string Key, long WindowStart, long WindowEnd, long Consumed);

/// <summary>This node's open connections under a key; <c>null</c> = unchanged and recently reported (only read the others').</summary>
public sealed record ConnectionReport(string Key, int? Count);

/// <summary>
/// Rates: the cluster's running total per key (this node's delta included); quotas: the total of the window;
/// connections: how many the OTHER nodes (heard from in the last seconds) have open under the key.
/// </summary>
public sealed record CounterSyncResponse(IReadOnlyList<long> Rates, IReadOnlyList<long> Quotas, IReadOnlyList<int> Connections);
