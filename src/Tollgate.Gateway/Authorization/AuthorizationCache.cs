using System.Collections.Concurrent;

namespace Tollgate.Gateway.Authorization;

/// <summary>
/// Decisions of authorization URLs, reused for a short configured time per API and credential. Keys are
/// hashes, never credentials. Bounded: expired entries go first, and the table is cleared if it still overflows.
/// </summary>
internal sealed class AuthorizationCache(int maxEntries = 10_000)
{
    private readonly ConcurrentDictionary<string, (AuthorizationDecision Decision, long ExpiresAt)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string key, out AuthorizationDecision decision)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > Environment.TickCount64)
        {
            decision = entry.Decision;
            return true;
        }
        decision = null!;
        return false;
    }

    public void Set(string key, AuthorizationDecision decision, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero)
            return;
        if (_entries.Count >= maxEntries)
            Evict();
        _entries[key] = (decision, Environment.TickCount64 + (long)lifetime.TotalMilliseconds);
    }

    public int Count => _entries.Count;

    private void Evict()
    {
        var now = Environment.TickCount64;
        foreach (var (key, entry) in _entries)
            if (entry.ExpiresAt <= now)
                _entries.TryRemove(key, out _);
        if (_entries.Count >= maxEntries)
            _entries.Clear();
    }
}
