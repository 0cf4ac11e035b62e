using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Sync;

namespace Tollgate.Gateway.Tests.Sync;

public sealed class SyncClientTests
{
    private static readonly NodeSyncOptions Options = new(new Uri("https://cp.example.com:9443/"), "0123456789abcdef", "node", "1.0.0", false);

    [Fact]
    public void The_stream_address_follows_the_control_plane_scheme()
    {
        Assert.Equal("wss://cp.example.com:9443/api/cluster/stream", Options.StreamUri.ToString());
        Assert.Equal("ws://cp:8080/base/api/cluster/stream", (Options with { ControlPlane = new Uri("http://cp:8080/base/") }).StreamUri.ToString());
    }

    [Fact]
    public void Back_off_doubles_from_half_a_second_to_ten_seconds_with_jitter()
    {
        using var client = new SnapshotSyncClient(Options, new SnapshotHolder(), new LiveConnections("node"), NullLogger<SnapshotSyncClient>.Instance);
        double[] expected = [500, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000];
        for (var failures = 0; failures < expected.Length; failures++)
        {
            var delays = Enumerable.Range(0, 200).Select(_ => client.RetryDelay(failures).TotalMilliseconds).ToArray();
            Assert.InRange(delays.Min(), expected[failures] * 0.75, expected[failures] * 1.25);
            Assert.InRange(delays.Max(), expected[failures] * 0.75, expected[failures] * 1.25);
            Assert.True(delays.Distinct().Count() > 1, "delays are jittered so nodes do not reconnect in lock-step");
        }
    }
}
