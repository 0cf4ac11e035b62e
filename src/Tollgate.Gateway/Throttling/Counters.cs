using System.Diagnostics;
using Tollgate.Core.Plans;

namespace Tollgate.Gateway.Throttling;

/// <summary>Monotonic nanoseconds for rates; UTC for quota windows.</summary>
public static class ThrottleClock
{
    private static readonly long Start = Stopwatch.GetTimestamp();
    private static readonly double NsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private static readonly long StartUtcTicks = DateTime.UtcNow.Ticks;

    /// <summary>UTC ticks derived from the monotonic clock: no system call per message (drift over a process's life is negligible for hour/day/month windows).</summary>
    public static long UtcTicks(long nowNs) => StartUtcTicks + nowNs / 100;

    public static long NowNs() => Stopwatch.Frequency == 1_000_000_000
        ? Stopwatch.GetTimestamp() - Start
        : (long)((Stopwatch.GetTimestamp() - Start) * NsPerTick);
}

/// <summary>
/// A counter held by an <see cref="IThrottleCounterStore"/> under a key that names what it counts
/// (<c>sub:{subscriptionId}:events:minute</c>, <c>app:{applicationId}:bytes:day</c>, <c>api:{apiId}:connections</c>).
/// Keys carry no node identity, so a cluster store can share them between gateway nodes.
/// </summary>
public abstract class ThrottleCounter(string key)
{
    public string Key { get; } = key;

    /// <summary>Live connections holding this counter; the store evicts only counters nobody holds.</summary>
    internal int References;

    /// <summary>True when forgetting the counter changes nothing (its window is over).</summary>
    internal abstract bool IsIdle(long nowNs, long utcTicks);
}

/// <summary>
/// A rate limit as GCRA (the virtual-scheduling form of a token bucket): one <c>long</c>, the theoretical arrival
/// time (TAT) of the next unit, updated with one compare-and-swap; no lock, no allocation, no timer.
/// Amount <c>n</c> per window <c>W</c> with burst <c>b</c>: spacing <c>T = W/n</c>, tolerance <c>b·T</c>.
/// A message goes when the burst has room for it, so over any window W at most n + b units pass; a message larger
/// than the whole byte burst goes when the bucket is full and the ones after it wait until it is paid back.
/// </summary>
public sealed class RateCounter(string key) : ThrottleCounter(key)
{
    private long _tat = long.MinValue / 4;
    private long _consumedNs; // schedule time admitted on this node since the last TakeConsumedNs (cluster sync)

    /// <summary>Shape: always takes <paramref name="cost"/>; returns how long to hold the message (0 = send now).</summary>
    public long Reserve(long cost, in RateSpec spec, long nowNs)
    {
        long inc = spec.Increment(cost);
        while (true)
        {
            long tat = Volatile.Read(ref _tat);
            long start = Math.Max(tat, nowNs);
            if (Interlocked.CompareExchange(ref _tat, start + inc, tat) == tat)
            {
                Interlocked.Add(ref _consumedNs, inc);
                long ahead = start - nowNs - Room(spec, inc);
                return ahead <= 0 ? 0 : ahead;
            }
        }
    }

    /// <summary>Drop or close: takes <paramref name="cost"/> only if the bucket is not empty.</summary>
    public bool TryTake(long cost, in RateSpec spec, long nowNs)
    {
        long inc = spec.Increment(cost);
        while (true)
        {
            long tat = Volatile.Read(ref _tat);
            long start = Math.Max(tat, nowNs);
            if (start - nowNs > Room(spec, inc))
                return false;
            if (Interlocked.CompareExchange(ref _tat, start + inc, tat) == tat)
            {
                Interlocked.Add(ref _consumedNs, inc);
                return true;
            }
        }
    }

    /// <summary>
    /// How far ahead of now the schedule may be for <paramref name="inc"/> to fit in the burst (classic GCRA); a cost
    /// larger than the whole burst fits only in a full bucket, and the ones after it then wait for it to be paid back.
    /// </summary>
    private static long Room(in RateSpec spec, long inc) => Math.Max(0, spec.ToleranceNs - inc);

    /// <summary>Takes <paramref name="cost"/> unconditionally (bytes of a message's later frames).</summary>
    public void Charge(long cost, in RateSpec spec, long nowNs) => Reserve(cost, spec, nowNs);

    /// <summary>For a cluster store: folds in what other nodes consumed (in the same units as the spec).</summary>
    public void Absorb(long cost, in RateSpec spec, long nowNs) => AbsorbNs(spec.Increment(cost), nowNs);

    /// <summary>
    /// For a cluster store: what this node admitted since the last call, as schedule time in nanoseconds (cost × spacing),
    /// a unit every node shares for the same key (same limit) and that needs no spec to fold back in.
    /// </summary>
    public long TakeConsumedNs() => Interlocked.Exchange(ref _consumedNs, 0);

    /// <summary>
    /// For a cluster store: folds in <paramref name="ns"/> of schedule time other nodes admitted since
    /// <paramref name="sinceNs"/> (this node's clock): the schedule moves on by that much from no earlier than then,
    /// so consumption that is already paid back by the time it is heard of does not hold this node back.
    /// </summary>
    public void AbsorbNs(long ns, long sinceNs)
    {
        if (ns <= 0)
            return;
        while (true)
        {
            long tat = Volatile.Read(ref _tat);
            if (Interlocked.CompareExchange(ref _tat, Math.Max(tat, sinceNs) + ns, tat) == tat)
                return;
        }
    }

    internal override bool IsIdle(long nowNs, long utcTicks) => Volatile.Read(ref _tat) <= nowNs;
}

/// <summary>Spacing and tolerance of one rate, precomputed when a connection's rules are resolved.</summary>
public readonly record struct RateSpec(double IntervalNs, long ToleranceNs)
{
    public static RateSpec For(long amount, TimeSpan window, long burst)
    {
        double interval = window.Ticks * 100.0 / amount;
        return new RateSpec(interval, (long)Math.Ceiling(burst * interval));
    }

    public long Increment(long cost) => cost <= 0 ? 0 : (long)Math.Min(Math.Ceiling(cost * IntervalNs), long.MaxValue / 8);
}

/// <summary>A quota over a UTC calendar window (hour, day, month): exact, one interlocked add per message.</summary>
public sealed class QuotaCounter(string key, LimitPeriod period) : ThrottleCounter(key)
{
    private readonly object _roll = new();
    private long _used;
    private long _pending;     // used on this node since the last TakeConsumed (cluster sync)
    private long _windowEnd;   // UTC ticks; 0 until first use

    public LimitPeriod Period { get; } = period;

    public long Used => Volatile.Read(ref _used);

    /// <summary>End of the current window (UTC), when the quota is refilled.</summary>
    public DateTime WindowEnd(long utcTicks)
    {
        Roll(utcTicks);
        return new DateTime(Volatile.Read(ref _windowEnd), DateTimeKind.Utc);
    }

    public bool TryTake(long cost, long limit, long utcTicks)
    {
        Roll(utcTicks);
        long used = Interlocked.Add(ref _used, cost);
        if (used <= limit)
        {
            Interlocked.Add(ref _pending, cost);
            return true;
        }
        Interlocked.Add(ref _used, -cost);
        return false;
    }

    /// <summary>Whether nothing more can pass in this window.</summary>
    public bool IsSpent(long limit, long utcTicks)
    {
        Roll(utcTicks);
        return Volatile.Read(ref _used) >= limit;
    }

    /// <summary>Takes <paramref name="cost"/> unconditionally (bytes of a message's later frames).</summary>
    public void Charge(long cost, long utcTicks)
    {
        Roll(utcTicks);
        Interlocked.Add(ref _used, cost);
        Interlocked.Add(ref _pending, cost);
    }

    /// <summary>For a cluster store: what other nodes used in the current window.</summary>
    public void Absorb(long cost, long utcTicks)
    {
        Roll(utcTicks);
        Interlocked.Add(ref _used, cost);
    }

    /// <summary>For a cluster store: the current window (its end, 0 before first use) and what this node used in it since the last call.</summary>
    public (long WindowEnd, long Consumed) TakeConsumed()
    {
        lock (_roll)
            return (_windowEnd, Interlocked.Exchange(ref _pending, 0));
    }

    /// <summary>For a cluster store: what other nodes used in the window ending at <paramref name="windowEnd"/>; ignored once that window is over here.</summary>
    public void AbsorbIn(long windowEnd, long cost)
    {
        if (cost <= 0)
            return;
        lock (_roll)
        {
            if (_windowEnd == windowEnd)
                Interlocked.Add(ref _used, cost);
        }
    }

    internal override bool IsIdle(long nowNs, long utcTicks) => Volatile.Read(ref _windowEnd) <= utcTicks;

    private void Roll(long utcTicks)
    {
        if (utcTicks < Volatile.Read(ref _windowEnd))
            return;
        lock (_roll)
        {
            if (utcTicks < _windowEnd)
                return;
            var (_, end) = Window(Period, utcTicks);
            Volatile.Write(ref _used, 0);
            Volatile.Write(ref _pending, 0);
            Volatile.Write(ref _windowEnd, end);
        }
    }

    public static (long Start, long End) Window(LimitPeriod period, long utcTicks)
    {
        switch (period)
        {
            case LimitPeriod.Hour:
                return (utcTicks - utcTicks % TimeSpan.TicksPerHour, utcTicks - utcTicks % TimeSpan.TicksPerHour + TimeSpan.TicksPerHour);
            case LimitPeriod.Day:
                return (utcTicks - utcTicks % TimeSpan.TicksPerDay, utcTicks - utcTicks % TimeSpan.TicksPerDay + TimeSpan.TicksPerDay);
            case LimitPeriod.Month:
                var now = new DateTime(utcTicks, DateTimeKind.Utc);
                var start = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
                return (start.Ticks, start.AddMonths(1).Ticks);
            default:
                throw new ArgumentOutOfRangeException(nameof(period), period, "not a quota window");
        }
    }
}

/// <summary>Concurrent connections under one key (a subscription, an application, an API's backend).</summary>
public sealed class ConnectionCounter(string key) : ThrottleCounter(key)
{
    private int _open;
    private int _others;

    /// <summary>Connections open on this node.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Connections open on other nodes under the same key, as last heard from a cluster store (0 alone).</summary>
    public int Others => Volatile.Read(ref _others);

    public bool TryAcquire(int max)
    {
        while (true)
        {
            int open = Volatile.Read(ref _open);
            if (open + Volatile.Read(ref _others) >= max)
                return false;
            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open)
                return true;
        }
    }

    public void Release() => Interlocked.Decrement(ref _open);

    /// <summary>For a cluster store: the other nodes' count (0 when they cannot be heard: local limits).</summary>
    public void SetOthers(int count) => Volatile.Write(ref _others, Math.Max(0, count));

    internal override bool IsIdle(long nowNs, long utcTicks) => Volatile.Read(ref _open) == 0;
}
