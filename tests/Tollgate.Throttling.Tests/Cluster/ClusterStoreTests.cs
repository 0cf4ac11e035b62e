using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Core.Plans;
using Tollgate.Gateway.Throttling;
using Tollgate.Gateway.Throttling.Cluster;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>
/// Two cluster stores ("nodes") exchanging through one in-memory shared store, one exchange at a time: what each
/// node learns from the other, and what happens while the shared store is away.
/// </summary>
public sealed class ClusterStoreTests : IAsyncLifetime
{
    // One a minute, burst 3: nothing is paid back during a test, so the outcome does not depend on timing.
    private static readonly RateSpec OnePerMinute = RateSpec.For(1, TimeSpan.FromMinutes(1), burst: 3);
    private readonly InMemoryCounterSyncTransport _shared = new();
    private readonly ClusterSyncGauge _gauge = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private ClusterThrottleCounterStore _a = null!;
    private ClusterThrottleCounterStore _b = null!;

    public Task InitializeAsync()
    {
        _a = Node("a");
        _b = Node("b");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _a.Local.Dispose();
        _b.Local.Dispose();
        _gauge.Dispose();
    }

    [Fact]
    public async Task A_rate_spent_on_one_node_is_spent_on_the_other_after_one_exchange_each()
    {
        var onA = _a.AcquireRate("sub:1:events:minute");
        var onB = _b.AcquireRate("sub:1:events:minute");
        await SyncBoth(); // baselines
        long now = ThrottleClock.NowNs();
        Assert.True(onA.TryTake(1, OnePerMinute, now));
        Assert.True(onA.TryTake(1, OnePerMinute, now));
        Assert.True(onA.TryTake(1, OnePerMinute, now));
        Assert.False(onA.TryTake(1, OnePerMinute, now));
        Assert.True(onB.TryTake(1, OnePerMinute, now)); // not heard of yet: this is the over-admission
        await SyncBoth();
        now = ThrottleClock.NowNs();
        Assert.False(onB.TryTake(1, OnePerMinute, now));
        Assert.False(onA.TryTake(1, OnePerMinute, now)); // and A heard of B's one
    }

    [Fact]
    public async Task A_quota_is_shared_and_a_late_node_learns_the_whole_window()
    {
        long utc = DateTime.UtcNow.Ticks;
        var onA = _a.AcquireQuota("sub:1:events:day", LimitPeriod.Day);
        for (int i = 0; i < 4; i++)
            Assert.True(onA.TryTake(1, 5, utc));
        await _a.SyncOnceAsync();
        var onB = _b.AcquireQuota("sub:1:events:day", LimitPeriod.Day);
        Assert.False(onB.IsSpent(5, utc)); // starts the window here
        await _b.SyncOnceAsync();
        Assert.Equal(4, onB.Used);
        Assert.True(onB.TryTake(1, 5, utc));
        Assert.False(onB.TryTake(1, 5, utc));
        await SyncBoth(); // A first: B's one reaches A on A's next exchange
        Assert.Equal(4, onA.Used);
        await _a.SyncOnceAsync();
        Assert.Equal(5, onA.Used);
        Assert.True(onA.IsSpent(5, utc));
    }

    [Fact]
    public async Task A_connection_limit_counts_the_other_nodes_connections()
    {
        var onA = _a.AcquireConnections("sub:1:connections");
        var onB = _b.AcquireConnections("sub:1:connections");
        Assert.True(onA.TryAcquire(2));
        Assert.True(onA.TryAcquire(2));
        await _a.SyncOnceAsync();
        await _b.SyncOnceAsync();
        Assert.Equal(2, onB.Others);
        Assert.False(onB.TryAcquire(2));
        onA.Release();
        await _a.SyncOnceAsync();
        await _b.SyncOnceAsync();
        Assert.True(onB.TryAcquire(2));
        Assert.False(onB.TryAcquire(2));
        await _b.SyncOnceAsync(); // B reports its new one
        await _a.SyncOnceAsync();
        Assert.Equal(1, onA.Others);
    }

    [Fact]
    public async Task Without_the_shared_store_each_node_enforces_local_limits_and_says_so_then_catches_up()
    {
        var connectionsA = _a.AcquireConnections("sub:1:connections");
        var connectionsB = _b.AcquireConnections("sub:1:connections");
        var quotaA = _a.AcquireQuota("sub:1:events:day", LimitPeriod.Day);
        var quotaB = _b.AcquireQuota("sub:1:events:day", LimitPeriod.Day);
        long utc = DateTime.UtcNow.Ticks;
        Assert.True(connectionsA.TryAcquire(2));
        Assert.True(quotaA.TryTake(1, 100, utc));
        Assert.False(quotaB.IsSpent(100, utc));
        await SyncBoth();
        await SyncBoth();
        Assert.True(_a.IsShared && _b.IsShared);
        Assert.Equal(1, _gauge.Synced(_a.NodeName));
        Assert.Equal(1, connectionsB.Others);
        Assert.Equal(1, quotaB.Used);

        _shared.Down = true;
        Assert.True(quotaA.TryTake(2, 100, utc)); // used while the store is away: sent when it returns
        Assert.False(await _a.SyncOnceAsync());
        Assert.False(await _b.SyncOnceAsync());
        Assert.False(await _b.SyncOnceAsync());
        Assert.False(_a.IsShared || _b.IsShared);
        Assert.Equal(0, _gauge.Synced(_a.NodeName));
        Assert.Equal(0, _gauge.Synced(_b.NodeName));
        Assert.Equal(2, _b.FailedExchanges);
        Assert.Equal(2, _gauge.Failures(_b.NodeName));
        Assert.Equal(0, connectionsB.Others); // local limits: B alone up to the limit
        Assert.True(connectionsB.TryAcquire(2));
        Assert.True(connectionsB.TryAcquire(2));
        Assert.False(connectionsB.TryAcquire(2));

        _shared.Down = false;
        Assert.True(await _a.SyncOnceAsync());
        Assert.True(await _b.SyncOnceAsync());
        Assert.True(_a.IsShared && _b.IsShared);
        Assert.Equal(1, _gauge.Synced(_b.NodeName));
        Assert.Equal(3, quotaB.Used);       // A's two from the outage arrived
        Assert.Equal(1, connectionsB.Others);
        await _a.SyncOnceAsync();
        Assert.Equal(2, connectionsA.Others);
        Assert.False(connectionsA.TryAcquire(2)); // 1 here + 2 there: over the limit until some close
    }

    [Fact]
    public async Task The_gauge_says_local_until_the_first_exchange_succeeds()
    {
        Assert.Equal(0, _gauge.Synced(_a.NodeName));
        Assert.False(_a.IsShared);
        Assert.True(await _a.SyncOnceAsync());
        Assert.Equal(1, _gauge.Synced(_a.NodeName));
        await _a.DisposeAsync();
        Assert.Equal(0, _gauge.Synced(_a.NodeName));
    }

    private async Task SyncBoth()
    {
        Assert.True(await _a.SyncOnceAsync());
        Assert.True(await _b.SyncOnceAsync());
    }

    private ClusterThrottleCounterStore Node(string name) => new(new LocalThrottleCounterStore(), _shared,
        new ClusterThrottlingOptions(new Uri("https://127.0.0.1:1/"), "unused-node-secret", $"{name}-{_run}"),
        NullLogger<ClusterThrottleCounterStore>.Instance);
}
