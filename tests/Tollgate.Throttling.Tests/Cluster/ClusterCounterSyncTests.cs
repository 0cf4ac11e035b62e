using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Throttling;
using Tollgate.Gateway.Throttling.Cluster;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>
/// Two gateway "nodes" (two <see cref="ClusterThrottleCounterStore"/>s with the real HTTP transport, in this test
/// process) sharing their counters through the real control-plane endpoint of a real server process (SQLite):
/// the over-admission across nodes is measured against the bound stated in docs/rest-api.md, then the server is
/// stopped (by its process id) and each node falls back to local limits.
/// </summary>
public sealed class ClusterCounterSyncTests(ITestOutputHelper output)
{
    internal const string Secret = "cluster-test-node-secret-0123456789";
    private const int Nodes = 2;
    private const int Rate = 50;       // events a second, a plan-like limit
    private const int Burst = 5;       // the default burst of 50/s (a tenth)
    private const int MaxConnections = 2;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Drive = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan LocalDrive = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Plans_hold_across_two_nodes_within_the_stated_over_admission_and_fall_back_to_local_limits()
    {
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--node-secret", Secret]);
        await server.StartAsync();
        using var gauge = new ClusterSyncGauge();
        var logs = new ListLogger();
        var run = Guid.NewGuid().ToString("N")[..8];
        var (a, transportA) = Node(server, $"gw-a-{run}", logs);
        var (b, transportB) = Node(server, $"gw-b-{run}", logs);
        try
        {
            a.Start();
            b.Start();
            await WaitUntil(() => a.IsShared && b.IsShared, TimeSpan.FromSeconds(20), "both nodes share their counters");
            Assert.Equal(1, gauge.Synced(a.NodeName));
            Assert.Equal(1, gauge.Synced(b.NodeName));

            // 1. A rate of 50 events/s shared by both nodes, each offered ~1000 events/s for 4 s.
            var spec = RateSpec.For(Rate, TimeSpan.FromSeconds(1), Burst);
            var rateKey = $"sub:{Guid.NewGuid()}:events:second";
            var rateA = a.AcquireRate(rateKey);
            var rateB = b.AcquireRate(rateKey);
            await Rounds(a, b, 2); // both have a baseline
            a.ResetMaxExchangeDuration(); // L is measured over the drive, not the first exchange (TLS handshake, JIT)
            b.ResetMaxExchangeDuration();
            var driven = await Task.WhenAll(DriveAsync(rateA, spec, Drive), DriveAsync(rateB, spec, Drive));
            int total = driven[0].Count + driven[1].Count;
            var merged = driven[0].Concat(driven[1]).Order().ToList();
            int busiestSecond = MaxInWindow(merged, 1_000_000_000);
            await Rounds(a, b, 1); // what was admitted last has been exchanged: L covers it
            double latency = Math.Max(a.MaxExchangeDuration.TotalSeconds, b.MaxExchangeDuration.TotalSeconds);
            double gap = Math.Max(a.MaxExchangeGap.TotalSeconds, b.MaxExchangeGap.TotalSeconds);
            double lag = 2 * gap + 2 * latency;                                      // Λ = 2T + 2L
            double missed = (Nodes - 1) * (Burst + Rate * lag);                      // (N−1)·(b + R·Λ)
            double single = Rate * Drive.TotalSeconds + Burst;                       // R·D + b: one node alone
            double bound = single + missed;
            output.WriteLine($"rate {Rate}/s burst {Burst}, {Nodes} nodes, sync every {Interval.TotalMilliseconds} ms: longest gap between exchanges T = {gap * 1000:F0} ms, " +
                             $"longest exchange L = {latency * 1000:F0} ms, Λ = 2T + 2L = {lag * 1000:F0} ms");
            output.WriteLine($"admitted over {Drive.TotalSeconds} s: node A {driven[0].Count} + node B {driven[1].Count} = {total}; " +
                             $"one node alone {single}; stated bound {bound:F1}; over-admission {total - single:+0;-0} ({(total - single) / single:P1})");
            output.WriteLine($"busiest 1-s window: {busiestSecond} (one node: {Rate + Burst}; bound {Rate + Burst + missed:F1})");
            Assert.True(total <= bound, $"{total} admitted over {Drive.TotalSeconds} s exceeds the stated bound {bound:F1}");
            Assert.True(busiestSecond <= Rate + Burst + missed, $"{busiestSecond} in one second exceeds the bound {Rate + Burst + missed:F1}");
            // The limit is used (absorbing the other node's share does not starve either), a stalled machine aside.
            Assert.True(total >= 0.8 * Rate * Drive.TotalSeconds, $"only {total} admitted: the shared limit should be used, not starved");
            Assert.True(total < 1.5 * single, $"{total} admitted: the limit is not shared (two nodes alone would admit {2 * single})");

            // 2. A connection limit of 2, attempts alternating between the nodes, each heard of before the next.
            var pacedKey = $"sub:{Guid.NewGuid()}:connections";
            var pacedA = a.AcquireConnections(pacedKey);
            var pacedB = b.AcquireConnections(pacedKey);
            await Rounds(a, b, 1);
            int paced = 0;
            for (int i = 0; i < 6; i++)
            {
                var (here, there) = i % 2 == 0 ? (a, b) : (b, a);
                if ((i % 2 == 0 ? pacedA : pacedB).TryAcquire(MaxConnections))
                    paced++;
                await Rounds(here, there, 2); // reported by this node, then read by the other
            }
            output.WriteLine($"connections, 6 attempts alternating and heard of in between: {paced} admitted (limit {MaxConnections})");
            Assert.Equal(MaxConnections, paced);
            Assert.Equal(1, pacedA.Open);
            Assert.Equal(1, pacedB.Open);

            // 3. The worst case: 3 attempts on each node at the same moment, before either hears of the other's.
            var burstKey = $"sub:{Guid.NewGuid()}:connections";
            var burstA = a.AcquireConnections(burstKey);
            var burstB = b.AcquireConnections(burstKey);
            int together = 0;
            for (int i = 0; i < 3; i++)
                together += (burstA.TryAcquire(MaxConnections) ? 1 : 0) + (burstB.TryAcquire(MaxConnections) ? 1 : 0);
            output.WriteLine($"connections, 3 attempts on each node at once: {together} admitted (limit {MaxConnections}, bound {Nodes * MaxConnections})");
            Assert.InRange(together, MaxConnections, Nodes * MaxConnections);
            await Rounds(a, b, 2);
            await Rounds(b, a, 2);
            Assert.False(burstA.TryAcquire(MaxConnections)); // once heard of, nothing more until some close
            Assert.False(burstB.TryAcquire(MaxConnections));

            // 4. The control plane goes away: each node enforces local limits, and says so once.
            int warningsBefore = logs.Count(LogLevel.Warning);
            Assert.NotNull(server.ProcessId);
            await server.StopAsync(); // SIGTERM to its process id, then kill of its process tree
            await WaitUntil(() => !a.IsShared && !b.IsShared, TimeSpan.FromSeconds(15), "both nodes fall back to local limits");
            Assert.Equal(0, gauge.Synced(a.NodeName));
            Assert.Equal(0, gauge.Synced(b.NodeName));
            await WaitUntil(() => a.FailedExchanges >= 3 && b.FailedExchanges >= 3, TimeSpan.FromSeconds(15), "exchanges keep failing");
            Assert.True(gauge.Failures(a.NodeName) >= 3);
            Assert.Equal(warningsBefore + 2, logs.Count(LogLevel.Warning)); // one per node, not one per failed exchange
            Assert.Equal(0, pacedA.Others);                                  // the other node's connections no longer count

            var localKey = $"sub:{Guid.NewGuid()}:events:second";
            var local = await Task.WhenAll(DriveAsync(a.AcquireRate(localKey), spec, LocalDrive), DriveAsync(b.AcquireRate(localKey), spec, LocalDrive));
            double alone = Rate * LocalDrive.TotalSeconds + Burst;
            output.WriteLine($"local limits over {LocalDrive.TotalSeconds} s: node A {local[0].Count}, node B {local[1].Count} (each alone up to {alone})");
            foreach (var node in local)
                Assert.InRange(node.Count, 0.75 * Rate * LocalDrive.TotalSeconds, alone + 1); // each alone: well above half the limit, never above it
            var localConnections = $"sub:{Guid.NewGuid()}:connections";
            var localA = a.AcquireConnections(localConnections);
            var localB = b.AcquireConnections(localConnections);
            Assert.Equal(MaxConnections, Enumerable.Range(0, 3).Count(_ => localA.TryAcquire(MaxConnections)));
            Assert.Equal(MaxConnections, Enumerable.Range(0, 3).Count(_ => localB.TryAcquire(MaxConnections)));

            // 5. It comes back: shared limits again on the next exchange.
            await server.StartAsync();
            await WaitUntil(() => a.IsShared && b.IsShared, TimeSpan.FromSeconds(20), "both nodes share their counters again");
            Assert.Equal(1, gauge.Synced(a.NodeName));
            await Rounds(a, b, 2);
            await Rounds(b, a, 2);
            Assert.Equal(MaxConnections, localA.Others);
            Assert.Equal(MaxConnections, localB.Others);
            Assert.Equal(1, pacedA.Others);
            Assert.Equal(1, logs.Messages.Count(m => m.Contains(a.NodeName) && m.Contains("cannot be shared")));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            transportA.Dispose();
            transportB.Dispose();
            a.Local.Dispose();
            b.Local.Dispose();
            output.WriteLine(string.Join('\n', logs.Messages));
        }
    }

    /// <summary>Offers ~1000 events a second (one a millisecond) for <paramref name="duration"/>; returns when each admitted one passed.</summary>
    private static Task<List<long>> DriveAsync(RateCounter counter, RateSpec spec, TimeSpan duration) =>
        Task.Factory.StartNew(() =>
        {
            var admitted = new List<long>();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                long now = ThrottleClock.NowNs();
                if (counter.TryTake(1, spec, now))
                    admitted.Add(now);
                Thread.Sleep(1);
            }
            return admitted;
        }, TaskCreationOptions.LongRunning);

    private static int MaxInWindow(List<long> times, long windowNs)
    {
        int max = 0;
        for (int i = 0, j = 0; i < times.Count; i++)
        {
            while (times[i] - times[j] >= windowNs)
                j++;
            max = Math.Max(max, i - j + 1);
        }
        return max;
    }

    /// <summary>Waits for <paramref name="n"/> more successful exchanges of <paramref name="first"/>, then of <paramref name="then"/>.</summary>
    private static async Task Rounds(ClusterThrottleCounterStore first, ClusterThrottleCounterStore then, int n)
    {
        foreach (var node in new[] { first, then })
        {
            long target = node.SuccessfulExchanges + n;
            await WaitUntil(() => node.SuccessfulExchanges >= target, TimeSpan.FromSeconds(15), $"{n} exchanges of {node.NodeName}");
        }
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"timed out after {timeout.TotalSeconds} s waiting until {what}");
            await Task.Delay(20);
        }
    }

    internal static (ClusterThrottleCounterStore Store, HttpCounterSyncTransport Transport) Node(TollgateServer server, string name, ListLogger logs)
    {
        var options = new ClusterThrottlingOptions(server.HttpsBase, Secret, name, AcceptAnyCertificate: true) { SyncInterval = Interval };
        var transport = new HttpCounterSyncTransport(options);
        return (new ClusterThrottleCounterStore(new LocalThrottleCounterStore(), transport, options, logs), transport);
    }
}

/// <summary>Keeps what the store logs (to count state-change messages).</summary>
internal sealed class ListLogger : ILogger<ClusterThrottleCounterStore>
{
    private readonly List<(LogLevel Level, string Text)> _entries = [];

    public IReadOnlyList<string> Messages
    {
        get { lock (_entries) return _entries.Select(e => $"{e.Level}: {e.Text}").ToList(); }
    }

    public int Count(LogLevel level)
    {
        lock (_entries) return _entries.Count(e => e.Level == level);
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
    }
}
