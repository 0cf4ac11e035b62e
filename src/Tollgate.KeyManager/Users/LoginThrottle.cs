using System.Collections.Concurrent;

namespace Tollgate.KeyManager.Users;

/// <summary>
/// Slows down password guessing: after a few failures for a user name, each attempt waits
/// longer (up to a cap). Bounded: the table is cleared when it grows past its limit.
/// </summary>
public sealed class LoginThrottle
{
    private const int FreeAttempts = 5;
    private const int MaxEntries = 10_000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(8);

    private readonly ConcurrentDictionary<string, (int Failures, DateTime Last)> _failures = new(StringComparer.OrdinalIgnoreCase);

    public TimeSpan DelayFor(string username)
    {
        if (!_failures.TryGetValue(username, out var f) || DateTime.UtcNow - f.Last > Window || f.Failures < FreeAttempts)
            return TimeSpan.Zero;
        var seconds = Math.Pow(2, Math.Min(f.Failures - FreeAttempts, 3));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxDelay.TotalSeconds));
    }

    public Task WaitIfThrottledAsync(string username, CancellationToken ct)
    {
        var delay = DelayFor(username);
        return delay == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, ct);
    }

    public void RecordFailure(string username)
    {
        if (_failures.Count > MaxEntries)
            _failures.Clear();
        _failures.AddOrUpdate(username, _ => (1, DateTime.UtcNow),
            (_, f) => (DateTime.UtcNow - f.Last > Window ? 1 : f.Failures + 1, DateTime.UtcNow));
    }

    public void RecordSuccess(string username) => _failures.TryRemove(username, out _);
}
