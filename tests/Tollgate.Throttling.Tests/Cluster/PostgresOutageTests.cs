using Tollgate.Gateway.Throttling.Cluster;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>
/// The control plane stays up but its PostgreSQL goes away: the counter endpoint answers 503, both gateway "nodes" fall
/// back to local limits and say so in the gauge; when PostgreSQL returns they share their counters again.
/// </summary>
public sealed class PostgresOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task When_postgresql_is_unreachable_nodes_fall_back_to_local_limits_and_recover()
    {
        await using var pg = new PostgresServer();
        await pg.StartAsync();
        var store = await pg.CreateDatabaseAsync(PostgresServer.UniqueName("outage"));
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--node-secret", ClusterCounterSyncTests.Secret, "--store", store]);
        await server.StartAsync();
        using var gauge = new ClusterSyncGauge();
        var logs = new ListLogger();
        var run = Guid.NewGuid().ToString("N")[..8];
        var (a, transportA) = ClusterCounterSyncTests.Node(server, $"pg-a-{run}", logs);
        var (b, transportB) = ClusterCounterSyncTests.Node(server, $"pg-b-{run}", logs);
        try
        {
            a.Start();
            b.Start();
            await ClusterCounterSyncTests.WaitUntil(() => a.IsShared && b.IsShared, TimeSpan.FromSeconds(20), "both nodes share their counters");
            var key = $"sub:{Guid.NewGuid()}:connections";
            var onA = a.AcquireConnections(key);
            var onB = b.AcquireConnections(key);
            Assert.True(onA.TryAcquire(1));
            await ClusterCounterSyncTests.WaitUntil(() => onB.Others == 1, TimeSpan.FromSeconds(10), "node B counts node A's connection (through PostgreSQL)");
            Assert.False(onB.TryAcquire(1)); // a limit of 1 across the cluster

            // PostgreSQL stops (by its process id); the control plane keeps running and answers 503.
            await pg.StopAsync();
            await ClusterCounterSyncTests.WaitUntil(() => !a.IsShared && !b.IsShared, TimeSpan.FromSeconds(30), "both nodes fall back to local limits");
            Assert.True(server.IsRunning, "the control plane must keep running without its database");
            Assert.Equal(0, gauge.Synced(a.NodeName));
            Assert.Equal(0, gauge.Synced(b.NodeName));
            Assert.Equal(0, onB.Others); // local limits: the other node's connections no longer count
            Assert.True(onB.TryAcquire(1), "with local limits node B admits up to the limit on its own");
            output.WriteLine(string.Join('\n', logs.Messages));
            Assert.Contains(logs.Messages, m => m.Contains(a.NodeName) && m.Contains("cannot be shared"));

            // PostgreSQL returns: shared again, and each node counts the other's connection.
            await pg.StartAsync();
            await ClusterCounterSyncTests.WaitUntil(() => a.IsShared && b.IsShared, TimeSpan.FromSeconds(30), "both nodes share their counters again");
            Assert.Equal(1, gauge.Synced(a.NodeName));
            await ClusterCounterSyncTests.WaitUntil(() => onA.Others == 1 && onB.Others == 1, TimeSpan.FromSeconds(10), "each node counts the other's connection again");
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            transportA.Dispose();
            transportB.Dispose();
            a.Local.Dispose();
            b.Local.Dispose();
            output.WriteLine(server.Log.Length > 6000 ? server.Log[^6000..] : server.Log);
        }
    }
}
