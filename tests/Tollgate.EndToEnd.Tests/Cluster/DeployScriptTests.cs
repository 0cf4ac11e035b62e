using System.Diagnostics;
using System.Net;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>
/// <c>deploy/cluster.sh</c> as a user runs it: PostgreSQL, a control plane, two gateways and HAProxy in TCP mode come
/// up; the tutorial works through HAProxy on both gateways; <c>deploy/cluster.sh stop</c> stops every process it started.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DeployScriptTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(RepoPaths.Root, "deploy", "cluster.sh");

    [Fact]
    public async Task The_sample_cluster_starts_serves_the_tutorial_through_haproxy_and_stops()
    {
        // A server object that is never started: it picks free ports and an admin password the script then uses,
        // so the harness's REST client can talk to the cluster's control plane and load balancer.
        await using var ports = new TollgateServer();
        var state = Path.Combine(Path.GetTempPath(), "tollgate-cluster-" + Scenario.Unique());
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "admin-password"), ports.AdminPassword);
        var env = new Dictionary<string, string?>
        {
            ["TOLLGATE_CLUSTER_DIR"] = state,
            ["SKIP_BUILD"] = "1",
            ["TOLLGATE_SERVER_DLL"] = RepoPaths.ServerDll,
            ["PG_PORT"] = FreePorts.Take().ToString(),
            ["CP_PORT"] = ports.HttpsPort.ToString(),
            ["ECHO_PORT"] = ports.EchoPort.ToString(),
            ["LB_PORT"] = ports.GatewayPort.ToString(),
            ["LB_TLS_PORT"] = ports.GatewayTlsPort.ToString(),
            ["GW_PORTS"] = $"{FreePorts.Take()} {FreePorts.Take()}",
            ["GW_TLS_PORTS"] = $"{FreePorts.Take()} {FreePorts.Take()}",
        };
        var pidFiles = new[] { "postgres", "control-plane", "gateway1", "gateway2", "haproxy" }
            .Select(n => Path.Combine(state, "pids", n + ".pid")).ToArray();
        int[] pids = [];
        try
        {
            await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
            var start = await ChildProcess.RunAsync("bash", [Script], environment: env, timeout: TimeSpan.FromMinutes(4));
            output.WriteLine(start.Output);
            Assert.True(start.ExitCode == 0 && !start.TimedOut, $"deploy/cluster.sh must start the cluster:\n{start.Output}");
            Assert.Contains("Tollgate cluster is up", start.StdOut);
            pids = pidFiles.Select(f => int.Parse(File.ReadAllText(f).Trim())).ToArray();
            Assert.All(pids, pid => Assert.True(IsRunning(pid), $"process {pid} recorded by the script must run"));

            var status = await ChildProcess.RunAsync("bash", [Script, "status"], environment: env, timeout: TimeSpan.FromSeconds(30));
            Assert.Equal(5, status.StdOut.Split('\n').Count(l => l.Contains(": running")));

            // The tutorial against the cluster: the portals' gateway address is HAProxy's, which spreads connections
            // over both gateway nodes (leastconn): two open connections land on two nodes.
            using var client = new TollgateClient(ports);
            var p = await Scenario.ProvisionAsync(ports, client, endpoint: ports.EchoEndpoint);
            using var first = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
            using var second = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
            await GatewayClient.AssertEchoAsync(first, "through haproxy, first");
            await GatewayClient.AssertEchoAsync(second, "through haproxy, second");

            var nodes = await ClusterNodes.PollGatewaysAsync(client, p.AdminToken, l =>
                new[] { "gateway1", "gateway2" }.All(n => ClusterNodes.Node(l, n) is { } node && node.GetProperty("online").GetBoolean()
                    && node.GetProperty("openConnections").GetInt32() == 1), TimeSpan.FromSeconds(15));
            output.WriteLine(nodes.ToString());
            foreach (var name in new[] { "gateway1", "gateway2" })
            {
                var node = ClusterNodes.Node(nodes, name) ?? throw new Xunit.Sdk.XunitException($"{name} is not listed: {nodes}");
                Assert.True(node.GetProperty("online").GetBoolean(), $"{name} must be online: {node}");
                Assert.Equal(1, node.GetProperty("openConnections").GetInt32());
            }
            // The store is PostgreSQL: the control plane says so in its log.
            Assert.Contains("PostgreSQL", await File.ReadAllTextAsync(Path.Combine(state, "logs", "control-plane.log")), StringComparison.OrdinalIgnoreCase);
            await GatewayClient.CloseQuietlyAsync(first);
            await GatewayClient.CloseQuietlyAsync(second);
        }
        finally
        {
            var stop = await ChildProcess.RunAsync("bash", [Script, "stop"], environment: env, timeout: TimeSpan.FromMinutes(2));
            output.WriteLine(stop.Output);
            foreach (var log in Directory.Exists(Path.Combine(state, "logs")) ? Directory.GetFiles(Path.Combine(state, "logs")) : [])
                output.WriteLine($"--- {Path.GetFileName(log)} ---\n{Tail(await File.ReadAllTextAsync(log))}");
            Assert.True(stop.ExitCode == 0, $"deploy/cluster.sh stop must succeed:\n{stop.Output}");
            foreach (var pid in pids)
                Assert.False(IsRunning(pid), $"process {pid} must be stopped by deploy/cluster.sh stop");
            Assert.All(pidFiles, f => Assert.False(File.Exists(f), $"{f} must be removed once its process stopped"));
            try { Directory.Delete(state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];
}
