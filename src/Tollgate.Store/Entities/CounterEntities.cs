namespace Tollgate.Store.Entities;

// Cluster-wide throttling counters, written by the control plane for its gateway nodes in batches
// (never per message). Times are Unix milliseconds so raw SQL upserts agree with EF in every provider.

/// <summary>
/// What all gateway nodes consumed under one counter key: a running total per rate key (<c>WindowStart</c> 0,
/// in nanoseconds of the rate's schedule) or per quota window (events or bytes in the window starting at <c>WindowStart</c>).
/// </summary>
public sealed class ThrottleCounterEntity
{
    public string Key { get; set; } = "";
    /// <summary>Unix ms of the quota window's start; 0 for a rate.</summary>
    public long WindowStart { get; set; }
    public long Consumed { get; set; }
    /// <summary>Unix ms of the last write.</summary>
    public long UpdatedAt { get; set; }
    /// <summary>Unix ms after which the row is purged (quota: window end; rate: an hour after the last write).</summary>
    public long ExpiresAt { get; set; }
}

/// <summary>Connections one gateway node has open under one key (a subscription, application or API limit).</summary>
public sealed class ThrottleConnectionCountEntity
{
    public string Node { get; set; } = "";
    public string Key { get; set; } = "";
    public int Count { get; set; }
    /// <summary>Unix ms of the node's last report: rows of nodes not heard from recently are ignored, then purged.</summary>
    public long UpdatedAt { get; set; }
}
