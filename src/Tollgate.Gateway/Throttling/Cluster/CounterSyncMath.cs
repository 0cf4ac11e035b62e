namespace Tollgate.Gateway.Throttling.Cluster;

/// <summary>
/// What the other nodes consumed since this node's last exchange, from the cluster's running totals. A total only
/// grows and always includes everything this node sent, so the others' share between two reads is
/// <c>total − sent − lastSeen</c>, exact whatever the other nodes did in between.
/// </summary>
public static class CounterSyncMath
{
    /// <summary>
    /// A rate key: nothing is folded in on the first exchange of a counter, nor on the first after a failed one (the
    /// total then holds the others' history, which a rate does not need) — the baseline is taken instead. A total
    /// lower than expected means the row was purged and started again: a new baseline too.
    /// </summary>
    public static (long Others, long Seen) Rate(bool hasBaseline, long lastSeen, long sent, long total)
    {
        if (!hasBaseline)
            return (0, total);
        long others = total - sent - lastSeen;
        return (others < 0 ? 0 : others, total);
    }

    /// <summary>
    /// A quota window: everything in the window this node did not send is the others' (so a node that joins late, or
    /// comes back after an outage, learns the whole window's use at once); a new window starts from nothing seen.
    /// </summary>
    public static long Quota(long seenWindowEnd, long lastSeen, long windowEnd, long sent, long total)
    {
        long seen = seenWindowEnd == windowEnd ? lastSeen : 0;
        long others = total - sent - seen;
        return others < 0 ? 0 : others;
    }
}
