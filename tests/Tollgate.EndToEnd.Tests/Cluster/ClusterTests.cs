using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>
/// A control plane (SQLite) and two gateway-role processes that follow it: changes reach both nodes, revocation and
/// blocking close live connections on both, the nodes keep serving while the control plane is down and catch up when
/// it returns, and their analytics land in the control plane's store.
/// </summary>
/// <remarks>Runs once per store: the control plane on SQLite (<see cref="SqliteClusterTests"/>) and on PostgreSQL
/// (<see cref="PostgresClusterTests"/>, a throw-away server started by the test).</remarks>
[Trait("Category", "Cluster")]
public abstract class ClusterTests(ITestOutputHelper output)
{
    /// <summary>The control plane's <c>--store</c> for one test: null for the default SQLite file.</summary>
    protected abstract Task<string?> NewStoreAsync();

    /// <summary>The contract: revocation and blocking close live connections on every node within 2 s (plus slack for a loaded CI machine).</summary>
    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Two_gateway_nodes_follow_the_control_plane_through_changes_revocation_and_an_outage()
    {
        var secret = ClusterNodes.NewSecret();
        await using var backend = new InspectBackend();
        await using var cp = ClusterNodes.ControlPlane(secret, await NewStoreAsync());
        await using var g1 = ClusterNodes.Gateway(cp, secret, "node-a");
        await using var g2 = ClusterNodes.Gateway(cp, secret, "node-b", secretInEnvironment: true);
        try
        {
            await cp.StartAsync();
            await Task.WhenAll(g1.StartAsync(), g2.StartAsync());
            using var client = new TollgateClient(cp);

            // Publish an API through the control plane's REST API, subscribe an application, get a token.
            var p = await Scenario.ProvisionAsync(cp, client, endpoint: backend.Endpoint, publish: true, subscribe: false);
            var admin = p.AdminToken;
            var subscription = await client.SubscribeAsync(admin, p.Api.Id, p.App.Id, "Gold");
            var path = $"{p.Api.Context}/{p.Api.Version}";
            string Url(TollgateServer g) => $"{g.GatewayBase}{path}";
            var token = p.Token.AccessToken;

            // Both nodes get the change within the contract's second (the helper allows 2 s) and relay.
            await GatewayClient.WaitUntilAcceptedAsync(Url(g1), token);
            await GatewayClient.WaitUntilAcceptedAsync(Url(g2), token);
            var ws1 = await ClusterNodes.ConnectAsync(Url(g1), token);
            var ws2 = await ClusterNodes.ConnectAsync(Url(g2), token);
            await GatewayClient.AssertEchoAsync(ws1, "through node a");
            await GatewayClient.AssertEchoAsync(ws2, "through node b");

            // Both nodes are listed, each serving the control plane's current snapshot with its open connection.
            var nodes = await ClusterNodes.PollGatewaysAsync(client, admin, l =>
                ClusterNodes.Node(l, "node-a") is { } a && ClusterNodes.Node(l, "node-b") is { } b &&
                new[] { a, b }.All(n => n.GetProperty("online").GetBoolean() && n.GetProperty("openConnections").GetInt32() == 1 &&
                    n.GetProperty("snapshotVersion").GetInt64() == l.GetProperty("controlPlaneSnapshotVersion").GetInt64()),
                TimeSpan.FromSeconds(10));
            output.WriteLine($"nodes: {nodes}");
            foreach (var name in new[] { "node-a", "node-b" })
            {
                var n = ClusterNodes.Node(nodes, name) ?? throw new Xunit.Sdk.XunitException($"{name} is not listed: {nodes}");
                Assert.True(n.GetProperty("online").GetBoolean(), $"{name} must be online: {n}");
                Assert.Equal(1, n.GetProperty("openConnections").GetInt32());
                Assert.Equal(nodes.GetProperty("controlPlaneSnapshotVersion").GetInt64(), n.GetProperty("snapshotVersion").GetInt64());
                Assert.False(string.IsNullOrEmpty(n.GetProperty("version").GetString()));
            }

            // Revoking the token closes the live connection on both nodes.
            var revokedAt = Stopwatch.StartNew();
            await client.RevokeAsync(token, TollgateClient.Basic(p.Keys.ConsumerKey, p.Keys.ConsumerSecret!), "access_token");
            var closed = await Task.WhenAll(ClusterNodes.WaitClosedAsync(ws1, CloseWithin), ClusterNodes.WaitClosedAsync(ws2, CloseWithin));
            output.WriteLine($"revocation closed both connections {revokedAt.ElapsedMilliseconds} ms after the revocation request was sent ({closed[0].Reason})");
            foreach (var (status, reason, _) in closed)
                Assert.True(status == WebSocketCloseStatus.PolicyViolation, $"a revoked token's connection must close with 1008, got {status} ({reason})");
            ws1.Dispose();
            ws2.Dispose();

            // Analytics of both nodes land in the control plane's store: one message in through each node.
            var report = await PollAsync(() => ReportAsync(client, admin, p.Api.Id), r => Total(r, "messagesIn") >= 2, TimeSpan.FromSeconds(20));
            Assert.Equal(2, Total(report, "messagesIn"));

            // A new token; connections open on both nodes before the control plane goes away.
            var token2 = (await client.GetClientCredentialsTokenAsync(p.Keys.ConsumerKey, p.Keys.ConsumerSecret!)).AccessToken;
            await GatewayClient.WaitUntilAcceptedAsync(Url(g1), token2);
            await GatewayClient.WaitUntilAcceptedAsync(Url(g2), token2);
            var live1 = await ClusterNodes.ConnectAsync(Url(g1), token2);
            var live2 = await ClusterNodes.ConnectAsync(Url(g2), token2);

            var cpPid = cp.ProcessId;
            await cp.StopAsync();
            output.WriteLine($"control plane (pid {cpPid}) stopped");
            Assert.False(cp.IsRunning);

            // Both nodes keep serving from their last snapshot: existing connections and new ones.
            await GatewayClient.AssertEchoAsync(live1, "still here a");
            await GatewayClient.AssertEchoAsync(live2, "still here b");
            foreach (var g in new[] { g1, g2 })
            {
                using var fresh = await ClusterNodes.ConnectAsync(Url(g), token2);
                await GatewayClient.AssertEchoAsync(fresh, "new connection while the control plane is down");
                await GatewayClient.CloseQuietlyAsync(fresh);
            }
            Assert.True(g1.IsRunning && g2.IsRunning);

            // The control plane comes back on the same data; both nodes reconnect and catch up.
            var logA = g1.LogLength;
            var logB = g2.LogLength;
            await cp.StartAsync();
            await WaitForAsync(() => g1.LogSince(logA).Contains("Caught up with the control plane") && g2.LogSince(logB).Contains("Caught up with the control plane"),
                TimeSpan.FromSeconds(20), "both nodes reconnect to the restarted control plane");
            admin = (await client.GetAdminTokenAsync()).AccessToken;
            // Catching up changed nothing for these connections: they still relay.
            await GatewayClient.AssertEchoAsync(live1, "after the catch-up a");
            await GatewayClient.AssertEchoAsync(live2, "after the catch-up b");

            // A change after the restart reaches both nodes: blocking the subscription closes live connections and refuses new ones.
            var blockedAt = Stopwatch.StartNew();
            using (var block = await client.SendAsync(HttpMethod.Post, $"api/publisher/apis/{p.Api.Id}/subscriptions/{subscription.Id}/block", admin))
                await TollgateClient.ExpectJsonAsync(block, HttpStatusCode.OK, "blocking the subscription");
            var blocked = await Task.WhenAll(ClusterNodes.WaitClosedAsync(live1, CloseWithin), ClusterNodes.WaitClosedAsync(live2, CloseWithin));
            output.WriteLine($"blocking closed both connections {blockedAt.ElapsedMilliseconds} ms after the block request was sent ({blocked[0].Reason})");
            foreach (var (status, reason, _) in blocked)
                Assert.True(status == WebSocketCloseStatus.PolicyViolation, $"a blocked subscription's connection must close with 1008, got {status} ({reason})");
            foreach (var g in new[] { g1, g2 })
            {
                var refused = await GatewayClient.TryHandshakeAsync(Url(g), token2);
                Assert.True(refused.Status == HttpStatusCode.Forbidden, $"a blocked subscription must get 403 on {g.GatewayBase}, got {refused}");
            }
            live1.Dispose();
            live2.Dispose();

            // The node secret never appears in what the processes logged.
            foreach (var s in new[] { cp, g1, g2 })
                Assert.DoesNotContain(secret, ClusterNodes.ProcessOutput(s));
        }
        finally
        {
            foreach (var (name, s) in new[] { ("control plane", cp), ("node-a", g1), ("node-b", g2) })
                output.WriteLine($"--- {name} ---\n{Tail(s.Log)}");
        }
    }

    [Fact]
    public async Task A_Bronze_connection_limit_holds_across_both_nodes()
    {
        var secret = ClusterNodes.NewSecret();
        await using var backend = new InspectBackend();
        await using var cp = ClusterNodes.ControlPlane(secret, await NewStoreAsync());
        await using var g1 = ClusterNodes.Gateway(cp, secret, "node-a");
        await using var g2 = ClusterNodes.Gateway(cp, secret, "node-b");
        var sockets = new List<ClientWebSocket>();
        try
        {
            await cp.StartAsync();
            await Task.WhenAll(g1.StartAsync(), g2.StartAsync());
            using var client = new TollgateClient(cp);
            var admin = (await client.GetAdminTokenAsync()).AccessToken;
            var api = await client.CreateApiAsync(admin, Scenario.NewApi(backend.Endpoint, plans: ["Gold", "Bronze"]));
            api = await client.ChangeLifecycleAsync(admin, api.Id, "Publish");
            var app = await client.CreateApplicationAsync(admin, $"Bronze{Scenario.Unique()}");
            var keys = await client.GenerateKeysAsync(admin, app.Id);
            await client.SubscribeAsync(admin, api.Id, app.Id, "Bronze"); // 3 connections
            var token = (await client.GetClientCredentialsTokenAsync(keys.ConsumerKey, keys.ConsumerSecret!)).AccessToken;
            string Url(TollgateServer g) => $"{g.GatewayBase}{api.Context}/{api.Version}";
            await GatewayClient.WaitUntilAcceptedAsync(Url(g1), token);
            await GatewayClient.WaitUntilAcceptedAsync(Url(g2), token);

            // Two connections on node a, one on node b, each after the others were exchanged (counters sync every 200 ms).
            foreach (var g in new[] { g1, g1, g2 })
            {
                sockets.Add(await ClusterNodes.ConnectAsync(Url(g), token));
                await Task.Delay(1000);
            }
            // The fourth is over the plan's 3 on either node.
            foreach (var g in new[] { g2, g1 })
            {
                var refused = await GatewayClient.TryHandshakeAsync(Url(g), token);
                Assert.True(refused.Status == (HttpStatusCode)429, $"Bronze allows 3 connections across the cluster; a 4th on {g.GatewayBase} must get 429, got {refused}");
            }
            // Closing one on node a frees a place on node b.
            await GatewayClient.CloseQuietlyAsync(sockets[0]);
            var (last, elapsed) = await GatewayClient.PollHandshakeAsync(Url(g2), token, h => h.Status == HttpStatusCode.SwitchingProtocols, TimeSpan.FromSeconds(5));
            output.WriteLine($"a place freed on node a was usable on node b after {elapsed.TotalMilliseconds:0} ms");
            Assert.True(last.Status == HttpStatusCode.SwitchingProtocols, $"after a connection on node a closed, node b must accept again, got {last}");
        }
        finally
        {
            foreach (var ws in sockets)
                ws.Dispose();
            foreach (var (name, s) in new[] { ("control plane", cp), ("node-a", g1), ("node-b", g2) })
                output.WriteLine($"--- {name} ---\n{Tail(s.Log)}");
        }
    }

    private static async Task<JsonElement> ReportAsync(TollgateClient client, string admin, string apiId)
    {
        using var response = await client.SendAsync(HttpMethod.Get, $"api/publisher/analytics/apis/{apiId}", admin);
        return await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "the API's analytics");
    }

    private static long Total(JsonElement report, string name) => report.GetProperty("totals").GetProperty(name).GetInt64();

    private static async Task<T> PollAsync<T>(Func<Task<T>> get, Func<T, bool> done, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var value = await get();
            if (done(value) || sw.Elapsed > within)
                return value;
            await Task.Delay(250);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > within)
                throw new Xunit.Sdk.XunitException($"timed out after {within.TotalSeconds:0} s waiting until {what}");
            await Task.Delay(100);
        }
    }

    private static string Tail(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];
}

public sealed class SqliteClusterTests(ITestOutputHelper output) : ClusterTests(output)
{
    protected override Task<string?> NewStoreAsync() => Task.FromResult<string?>(null);
}

/// <summary>The same cluster with the control plane on PostgreSQL: the deployment.</summary>
public sealed class PostgresClusterTests(PostgresServer pg, ITestOutputHelper output) : ClusterTests(output), IClassFixture<PostgresServer>
{
    protected override async Task<string?> NewStoreAsync() => await pg.CreateDatabaseAsync(PostgresServer.UniqueName("cluster"));
}
