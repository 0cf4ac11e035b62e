using Tollgate.Core.Plans;
using Tollgate.Gateway.Throttling;
using Tollgate.Gateway.Throttling.Cluster;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>What a counter reports as consumed since the last sync, and how what other nodes consumed folds back in (simulated clock).</summary>
public sealed class CounterDeltaTests
{
    private const long Second = 1_000_000_000;
    private static readonly RateSpec TenPerSecond = RateSpec.For(10, TimeSpan.FromSeconds(1), burst: 2); // 100 ms spacing, burst 2

    [Fact]
    public void A_rate_reports_the_schedule_time_it_admitted_not_what_it_refused_or_absorbed()
    {
        var rate = new RateCounter("sub:1:events:second");
        long t = 10 * Second;
        Assert.True(rate.TryTake(1, TenPerSecond, t));
        Assert.True(rate.TryTake(1, TenPerSecond, t));
        Assert.False(rate.TryTake(1, TenPerSecond, t));
        Assert.Equal(2 * Second / 10, rate.TakeConsumedNs());
        Assert.Equal(0, rate.TakeConsumedNs()); // taken: the next sync starts from nothing

        rate.Reserve(1, TenPerSecond, t); // shaping always takes
        rate.AbsorbNs(5 * Second / 10, t);
        rate.Absorb(3, TenPerSecond, t);
        Assert.Equal(Second / 10, rate.TakeConsumedNs());
    }

    [Fact]
    public void What_another_node_admitted_holds_this_node_back_by_as_much()
    {
        var here = new RateCounter("k");
        var there = new RateCounter("k");
        long t = 10 * Second;
        Assert.True(there.TryTake(1, TenPerSecond, t));
        Assert.True(there.TryTake(1, TenPerSecond, t));
        here.AbsorbNs(there.TakeConsumedNs(), t);
        // The shared burst is spent: nothing here until one interval is paid back.
        Assert.False(here.TryTake(1, TenPerSecond, t));
        Assert.False(here.TryTake(1, TenPerSecond, t + Second / 10 - 1));
        Assert.True(here.TryTake(1, TenPerSecond, t + Second / 10));
    }

    [Fact]
    public void Consumption_heard_of_late_counts_from_when_it_happened()
    {
        long t = 10 * Second;
        // The other node admitted 5 events (500 ms of schedule) over the last second, at the rate: paid back by now.
        var late = new RateCounter("k");
        late.AbsorbNs(5 * Second / 10, t - Second);
        Assert.True(late.TryTake(1, TenPerSecond, t));
        Assert.True(late.TryTake(1, TenPerSecond, t));
        Assert.False(late.TryTake(1, TenPerSecond, t));
        // The same 5 events admitted just now push the schedule 500 ms ahead.
        var now = new RateCounter("k");
        now.AbsorbNs(5 * Second / 10, t);
        Assert.False(now.TryTake(1, TenPerSecond, t + 3 * Second / 10));
    }

    [Fact]
    public void A_quota_reports_what_it_took_and_charged_in_its_current_window_only()
    {
        var quota = new QuotaCounter("sub:1:events:hour", LimitPeriod.Hour);
        long t = new DateTime(2026, 11, 21, 10, 30, 0, DateTimeKind.Utc).Ticks;
        long end = new DateTime(2026, 11, 21, 11, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.True(quota.TryTake(3, 10, t));
        quota.Charge(5, t);
        Assert.False(quota.TryTake(5, 10, t)); // refused: not consumed
        quota.Absorb(1, t);                    // another node's: not this node's to report
        Assert.Equal(9, quota.Used);
        Assert.Equal((end, 8L), quota.TakeConsumed());
        Assert.Equal((end, 0L), quota.TakeConsumed());

        Assert.True(quota.TryTake(1, 100, t));
        long next = t + TimeSpan.TicksPerHour;
        Assert.True(quota.TryTake(1, 100, next)); // the window rolled: what was not sent of the old one is not the new one's
        Assert.Equal((end + TimeSpan.TicksPerHour, 1L), quota.TakeConsumed());
    }

    [Fact]
    public void A_quota_takes_the_other_nodes_use_only_into_the_window_they_used()
    {
        var quota = new QuotaCounter("k", LimitPeriod.Day);
        long t = new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.True(quota.TryTake(1, 10, t));
        var (end, _) = quota.TakeConsumed();
        quota.AbsorbIn(end, 8);
        quota.AbsorbIn(end - TimeSpan.TicksPerDay, 100); // yesterday's: ignored
        Assert.Equal(9, quota.Used);
        Assert.True(quota.TryTake(1, 10, t));
        Assert.False(quota.TryTake(1, 10, t));
        Assert.True(quota.IsSpent(10, t));
    }

    [Fact]
    public void A_connection_limit_counts_the_other_nodes_connections()
    {
        var connections = new ConnectionCounter("sub:1:connections");
        connections.SetOthers(1);
        Assert.True(connections.TryAcquire(2));
        Assert.False(connections.TryAcquire(2));
        connections.SetOthers(0); // local limits: this node alone up to the limit
        Assert.True(connections.TryAcquire(2));
        Assert.Equal(2, connections.Open);
        connections.SetOthers(-3);
        Assert.Equal(0, connections.Others);
    }

    [Theory]
    [InlineData(false, 0, 100, 700, 0, 700)]      // first exchange of a counter: a baseline, nothing folded in
    [InlineData(true, 700, 100, 1000, 200, 1000)] // 300 more in total, 100 of them this node's
    [InlineData(true, 700, 0, 700, 0, 700)]       // nobody consumed anything
    [InlineData(true, 700, 50, 60, 0, 60)]        // the total started again (row purged): a new baseline
    public void Rate_others_are_the_total_minus_what_this_node_sent_and_had_seen(bool baseline, long lastSeen, long sent, long total, long others, long seen)
    {
        Assert.Equal((others, seen), CounterSyncMath.Rate(baseline, lastSeen, sent, total));
    }

    [Theory]
    [InlineData(500, 40, 500, 5, 60, 15)]  // same window: 20 more in total, 5 of them this node's
    [InlineData(500, 40, 600, 5, 60, 55)]  // a new window: all of it but this node's part is the others'
    [InlineData(0, 0, 500, 7, 7, 0)]       // nobody else used it
    [InlineData(500, 40, 500, 0, 30, 0)]   // never negative
    public void Quota_others_are_the_windows_total_minus_what_this_node_sent_and_had_seen(long seenEnd, long lastSeen, long end, long sent, long total, long others)
    {
        Assert.Equal(others, CounterSyncMath.Quota(seenEnd, lastSeen, end, sent, total));
    }
}
