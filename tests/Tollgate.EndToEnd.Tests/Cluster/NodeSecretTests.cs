using System.Diagnostics;
using System.Net;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>Only a node with the control plane's secret gets the snapshot; a refused node says why and serves nothing.</summary>
[Trait("Category", "Cluster")]
public sealed class NodeSecretTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_with_a_wrong_secret_is_refused_says_so_and_answers_503()
    {
        var secret = ClusterNodes.NewSecret();
        var wrong = ClusterNodes.NewSecret();
        await using var cp = ClusterNodes.ControlPlane(secret);
        await using var node = ClusterNodes.Gateway(cp, wrong, "intruder");
        try
        {
            await cp.StartAsync();

            // The stream itself: no credentials or a wrong secret get 401 with the scheme to use.
            using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
                { BaseAddress = cp.HttpsBase };
            using (var anonymous = await http.GetAsync("api/cluster/stream"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Contains("Node", anonymous.Headers.WwwAuthenticate.ToString());
            }
            using (var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster/stream") { Headers = { Authorization = ClusterNodes.Node(wrong) } })
            using (var refused = await http.SendAsync(request))
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            // The right secret without a WebSocket upgrade: past authentication, told to use a WebSocket.
            using (var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster/stream") { Headers = { Authorization = ClusterNodes.Node(secret) } })
            using (var plain = await http.SendAsync(request))
                Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);

            await node.StartAsync();
            var sw = Stopwatch.StartNew();
            while (!node.Log.Contains("refused this node's secret (401)") && sw.Elapsed < TimeSpan.FromSeconds(15))
                await Task.Delay(100);
            Assert.Contains("refused this node's secret (401)", node.Log);
            Assert.True(node.IsRunning, "a refused node keeps retrying (the control plane's secret may be being rotated)");

            // Without a snapshot the node refuses every connection with 503 and says why.
            var handshake = await GatewayClient.TryHandshakeAsync($"{node.GatewayBase}/any/1.0.0", "some-token");
            Assert.True(handshake.Status == HttpStatusCode.ServiceUnavailable, $"a node without a snapshot must answer 503, got {handshake}");
            Assert.Equal("2", handshake.Header("Retry-After"));
            using (var body = await new HttpClient().GetAsync($"http://127.0.0.1:{node.GatewayPort}/any"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, body.StatusCode);
                Assert.Contains("has not received its configuration", await body.Content.ReadAsStringAsync());
            }

            // The refused node is not listed; neither secret appears in any process's output.
            using var client = new TollgateClient(cp);
            var admin = (await client.GetAdminTokenAsync()).AccessToken;
            var list = await ClusterNodes.GatewaysAsync(client, admin);
            Assert.Null(ClusterNodes.Node(list, "intruder"));
            foreach (var s in new[] { cp, node })
            {
                Assert.DoesNotContain(secret, ClusterNodes.ProcessOutput(s));
                Assert.DoesNotContain(wrong, ClusterNodes.ProcessOutput(s));
            }
        }
        finally
        {
            output.WriteLine($"--- control plane ---\n{cp.Log}\n--- node ---\n{node.Log}");
        }
    }
}

/// <summary>On the all-in-one server (started without --node-secret): the stream refuses nodes; its own gateway is listed.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AllInOneNodeTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    [Fact]
    public async Task Without_a_node_secret_the_stream_answers_403_and_the_own_gateway_is_listed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster/stream") { Headers = { Authorization = ClusterNodes.Node("any-secret-of-16-chars") } };
        using var response = await fx.Client.Http.SendAsync(request);
        var body = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.Forbidden, "the cluster stream of a control plane without --node-secret");
        Assert.Contains("--node-secret", body.GetProperty("detail").GetString());

        var admin = (await fx.Client.GetAdminTokenAsync()).AccessToken;
        var list = await ClusterNodes.PollGatewaysAsync(fx.Client, admin, l => l.GetProperty("count").GetInt32() >= 1, TimeSpan.FromSeconds(5));
        var own = list.GetProperty("items").EnumerateArray().FirstOrDefault(n => n.GetProperty("address").GetString() == "local");
        Assert.True(own.ValueKind == System.Text.Json.JsonValueKind.Object, $"the all-in-one process lists its own gateway: {list}");
        Assert.True(own.GetProperty("online").GetBoolean());
        // Other tests change things meanwhile, so the version may lag by a heartbeat; it is the control plane's own numbering.
        Assert.InRange(own.GetProperty("snapshotVersion").GetInt64(), 1, list.GetProperty("controlPlaneSnapshotVersion").GetInt64());

        // Admins only.
        using (var anonymous = await fx.Client.SendAsync(HttpMethod.Get, "api/admin/gateways", null))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
