using Tollgate.Core.Plans;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Throttling.Tests;

/// <summary>The counters on a simulated clock: windows, bursts and exactness, with no sleeping.</summary>
public sealed class LimiterTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void A_rate_lets_the_burst_through_at_once_then_one_per_interval()
    {
        var spec = RateSpec.For(10, TimeSpan.FromSeconds(1), burst: 3);
        var rate = new RateCounter("k");
        long now = 5 * Second;
        Assert.True(rate.TryTake(1, spec, now));
        Assert.True(rate.TryTake(1, spec, now));
        Assert.True(rate.TryTake(1, spec, now));
        Assert.False(rate.TryTake(1, spec, now));
        Assert.False(rate.TryTake(1, spec, now + Second / 10 - 1));
        Assert.True(rate.TryTake(1, spec, now + Second / 10));
        Assert.False(rate.TryTake(1, spec, now + Second / 10));
    }

    [Theory]
    [InlineData(60, 60, 6, 1)]        // 60 a minute, default-like burst
    [InlineData(20, 1, 2, 1)]         // 20 a second
    [InlineData(1000, 1, 100, 7)]     // offered far above the rate, sliding windows of odd lengths
    [InlineData(5, 1, 1, 3)]
    public void Over_any_window_no_more_than_the_limit_plus_its_burst_pass(long events, int windowSeconds, long burst, int stepMicros)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);
        var spec = RateSpec.For(events, window, burst);
        var rate = new RateCounter("k");
        var admitted = new List<long>();
        long step = stepMicros * 1000L * (windowSeconds * 1_000_000_000L / events / 1000 / 50 + 1); // ~50 offers per interval
        long end = 5 * window.Ticks * 100;
        for (long t = 0; t < end; t += step)
        {
            if (rate.TryTake(1, spec, t))
                admitted.Add(t);
        }
        long windowNs = window.Ticks * 100;
        int max = 0;
        for (int i = 0, j = 0; i < admitted.Count; i++)
        {
            while (admitted[i] - admitted[j] >= windowNs)
                j++;
            max = Math.Max(max, i - j + 1);
        }
        Assert.True(max <= events + burst, $"{max} passed in one window; limit {events} + burst {burst}");
        // And the long-run rate is the limit (exact, not merely bounded).
        double perWindow = admitted.Count / 5.0;
        Assert.InRange(perWindow, events * 0.98, events + burst);
    }

    [Fact]
    public void Shaping_holds_each_message_until_its_slot_and_keeps_the_exact_rate()
    {
        var spec = RateSpec.For(20, TimeSpan.FromSeconds(1), burst: 2);
        var rate = new RateCounter("k");
        long now = 0;
        var sentAt = new List<long>();
        for (int i = 0; i < 200; i++)
        {
            now += Second / 40; // offered at twice the rate
            long delay = rate.Reserve(1, spec, now);
            now += delay;       // the pump waits before sending (and reading more)
            sentAt.Add(now);
        }
        double measured = (sentAt.Count - 21) / ((sentAt[^1] - sentAt[20]) / (double)Second);
        Assert.InRange(measured, 19.9, 20.1);
    }

    [Fact]
    public void A_message_larger_than_the_byte_burst_passes_when_the_bucket_has_room_and_the_next_ones_wait()
    {
        var spec = RateSpec.For(1000, TimeSpan.FromSeconds(1), burst: 100);
        var bytes = new RateCounter("b");
        Assert.True(bytes.TryTake(5000, spec, Second));          // into debt: five seconds' worth
        Assert.False(bytes.TryTake(1, spec, Second * 5));        // still paying it back
        Assert.False(bytes.TryTake(1, spec, Second * 6 - Second / 10));
        Assert.True(bytes.TryTake(1, spec, Second * 6 - Second / 10 + Second / 1000)); // room for one byte of the 100-byte burst
    }

    [Fact]
    public void A_quota_is_exact_and_refills_at_the_calendar_window()
    {
        var quota = new QuotaCounter("q", LimitPeriod.Hour);
        var t = new DateTime(2025, 3, 1, 10, 59, 0, DateTimeKind.Utc).Ticks;
        for (int i = 0; i < 5; i++)
            Assert.True(quota.TryTake(1, 5, t));
        Assert.False(quota.TryTake(1, 5, t));
        Assert.True(quota.IsSpent(5, t));
        Assert.Equal(new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc), quota.WindowEnd(t));
        var next = new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.False(quota.IsSpent(5, next));
        Assert.True(quota.TryTake(1, 5, next));
    }

    [Fact]
    public void Quota_windows_are_utc_hours_days_and_calendar_months()
    {
        var t = new DateTime(2024, 2, 29, 13, 45, 0, DateTimeKind.Utc).Ticks;
        Assert.Equal(new DateTime(2024, 2, 29, 14, 0, 0).Ticks, QuotaCounter.Window(LimitPeriod.Hour, t).End);
        Assert.Equal(new DateTime(2024, 3, 1).Ticks, QuotaCounter.Window(LimitPeriod.Day, t).End);
        Assert.Equal((new DateTime(2024, 2, 1).Ticks, new DateTime(2024, 3, 1).Ticks), QuotaCounter.Window(LimitPeriod.Month, t));
    }

    [Fact]
    public async Task Concurrent_takers_never_exceed_the_quota()
    {
        var quota = new QuotaCounter("q", LimitPeriod.Day);
        long utc = DateTime.UtcNow.Ticks;
        int taken = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
                if (quota.TryTake(1, 12_345, utc))
                    Interlocked.Increment(ref taken);
        })));
        Assert.Equal(12_345, taken);
    }

    [Fact]
    public void Connection_slots_stop_at_the_maximum_and_free_on_release()
    {
        var slots = new ConnectionCounter("c");
        Assert.True(slots.TryAcquire(2));
        Assert.True(slots.TryAcquire(2));
        Assert.False(slots.TryAcquire(2));
        slots.Release();
        Assert.True(slots.TryAcquire(2));
    }

    [Fact]
    public void The_store_shares_counters_by_key_and_forgets_only_idle_unheld_ones()
    {
        using var store = new LocalThrottleCounterStore(TimeSpan.FromHours(1));
        var a = store.AcquireRate("sub:1:events:minute");
        var b = store.AcquireRate("sub:1:events:minute");
        Assert.Same(a, b);
        Assert.NotSame(a, store.AcquireRate("sub:2:events:minute"));
        var slots = store.AcquireConnections("sub:1:connections");
        slots.TryAcquire(5);
        store.Release(slots);
        store.Sweep();
        Assert.Same(slots, store.AcquireConnections("sub:1:connections")); // a connection is still open under it
        store.Release(a);
        store.Release(b);
        store.Sweep();
        Assert.NotSame(a, store.AcquireRate("sub:1:events:minute"));       // idle and unheld: forgotten
    }
}
