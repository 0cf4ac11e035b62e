using System.Collections.Concurrent;

namespace Tollgate.Gateway.Handshake;

/// <summary>
/// Remembers connection tickets already used on this node, so each works once. Entries live until the
/// ticket would have expired anyway (at most a minute), which keeps the table small; a full table refuses
/// new tickets rather than forgetting used ones.
/// </summary>
internal sealed class TicketLedger(int maxEntries = 100_000)
{
    private readonly ConcurrentDictionary<string, DateTime> _used = new(StringComparer.Ordinal);

    /// <summary>True the first time a ticket id is seen; false if it was used before or the ledger is full.</summary>
    public bool TryUse(string ticketId, DateTime expiresAt)
    {
        if (_used.Count >= maxEntries)
            Purge(DateTime.UtcNow);
        if (_used.Count >= maxEntries)
            return false;
        return _used.TryAdd(ticketId, expiresAt);
    }

    private void Purge(DateTime now)
    {
        foreach (var (id, expires) in _used)
            if (expires < now.AddSeconds(-10))
                _used.TryRemove(id, out _);
    }
}
