using System.Collections.Concurrent;

namespace Tollgate.KeyManager.Users;

/// <summary>
/// Slows down guessing of passwords and client secrets: after a few failures for an account, or more
/// failures from one address, each further attempt waits longer (1, 2, 4, then 8 s). Bounded: the table is
/// cleared when it grows past its limit.
/// </summary>
public sealed class LoginThrottle
{
    public const int PerAccountFreeAttempts = 5;
    public const int PerAddressFreeAttempts = 20;
    private const int MaxEntries = 10_000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(8);

    private readonly ConcurrentDictionary<string, (int Failures, DateTime Last)> _failures = new(StringComparer.OrdinalIgnoreCase);

    public static string Account(string name) => "account:" + name;

    public static string Address(System.Net.IPAddress? address) => "address:" + (address?.ToString() ?? "unknown");

    public TimeSpan DelayFor(string key, int freeAttempts)
    {
        if (!_failures.TryGetValue(key, out var f) || DateTime.UtcNow - f.Last > Window || f.Failures < freeAttempts)
            return TimeSpan.Zero;
        var seconds = Math.Pow(2, Math.Min(f.Failures - freeAttempts, 3));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxDelay.TotalSeconds));
    }

    /// <summary>Waits as long as the worse of the account's and the address's record asks.</summary>
    public Task WaitIfThrottledAsync(string account, string address, CancellationToken ct)
    {
        var delay = TimeSpan.FromTicks(Math.Max(DelayFor(account, PerAccountFreeAttempts).Ticks, DelayFor(address, PerAddressFreeAttempts).Ticks));
        return delay == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, ct);
    }

    public void RecordFailure(params string[] keys)
    {
        if (_failures.Count > MaxEntries)
            _failures.Clear();
        foreach (var key in keys)
            _failures.AddOrUpdate(key, _ => (1, DateTime.UtcNow),
                (_, f) => (DateTime.UtcNow - f.Last > Window ? 1 : f.Failures + 1, DateTime.UtcNow));
    }

    /// <summary>A success clears the account's record; the address's stays, so one good login cannot hide many guesses.</summary>
    public void RecordSuccess(string account) => _failures.TryRemove(account, out _);
}
