using System.Collections.Concurrent;

namespace Tollgate.Gateway.Handshake;

/// <summary>What a ticket's presentation came to: its first use, a replay, or no way to tell (the cluster's ledger is away).</summary>
internal enum TicketUse { First, Replayed, Unverifiable }

/// <summary>Asks the cluster whether a ticket id is used for the first time (gateway nodes: the control plane's ledger).</summary>
internal interface IClusterTicketLedger
{
    /// <summary>True the first time any node presents <paramref name="ticketId"/>; throws when the answer cannot be had.</summary>
    Task<bool> FirstUseAsync(string ticketId, DateTime expiresAt, CancellationToken ct);
}

/// <summary>
/// Remembers connection tickets already used on this node, so each works once. Entries live until the
/// ticket would have expired anyway (at most a minute), which keeps the table small; a full table refuses
/// new tickets rather than forgetting used ones. On a gateway node the control plane's ledger is asked too,
/// so a ticket works once in the whole cluster; when it cannot be asked the ticket is refused (fail closed).
/// </summary>
internal sealed class TicketLedger(int maxEntries = 100_000, IClusterTicketLedger? cluster = null)
{
    private readonly ConcurrentDictionary<string, DateTime> _used = new(StringComparer.Ordinal);

    /// <summary>True the first time a ticket id is seen on this node; false if it was used before or the ledger is full.</summary>
    public bool TryUse(string ticketId, DateTime expiresAt)
    {
        if (_used.Count >= maxEntries)
            Purge(DateTime.UtcNow);
        if (_used.Count >= maxEntries)
            return false;
        return _used.TryAdd(ticketId, expiresAt);
    }

    /// <summary>This node's ledger first (a replay here needs no round trip), then the cluster's when there is one.</summary>
    public async ValueTask<TicketUse> UseAsync(string ticketId, DateTime expiresAt, CancellationToken ct = default)
    {
        if (!TryUse(ticketId, expiresAt))
            return TicketUse.Replayed;
        if (cluster is null)
            return TicketUse.First;
        try
        {
            return await cluster.FirstUseAsync(ticketId, expiresAt, ct) ? TicketUse.First : TicketUse.Replayed;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or InvalidOperationException)
        {
            return TicketUse.Unverifiable;
        }
    }

    private void Purge(DateTime now)
    {
        foreach (var (id, expires) in _used)
            if (expires < now.AddSeconds(-10))
                _used.TryRemove(id, out _);
    }
}
