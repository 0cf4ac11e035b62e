using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tollgate.Gateway;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;
using Tollgate.Gateway.Throttling.Cluster;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary><c>POST /api/cluster/counters</c> on the real server process: who may call it, what it refuses, what it answers.</summary>
public sealed class CounterSyncEndpointTests(ITestOutputHelper output)
{
    private const string Path = "api/cluster/counters";

    [Fact]
    public async Task The_exchange_is_for_nodes_only_checks_its_input_and_forgets_silent_nodes()
    {
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--node-secret", ClusterCounterSyncTests.Secret]);
        await server.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { BaseAddress = server.HttpsBase };
        var key = $"sub:{Guid.NewGuid()}";

        // Only nodes: no header, a wrong secret, a user's bearer scheme.
        var (status, body) = await Post(http, null, new JsonObject { ["node"] = "a" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Authorization: Node", body?["detail"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, "Node not-the-secret-at-all", new JsonObject { ["node"] = "a" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, "Bearer " + ClusterCounterSyncTests.Secret, new JsonObject { ["node"] = "a" })).Status);

        // Bad input names the field.
        (status, body) = await Post(http, Node, JsonNode.Parse($$"""
            {"node":"a","rates":[{"key":"{{key}}:events:second","consumed":1},{"key":"{{key}}:events:second","consumed":2}],
             "quotas":[{"key":"{{key}}:events:day","windowStart":0,"windowEnd":5,"consumed":-1}],"connections":[{"key":"","count":1}]}
            """)!);
        output.WriteLine(body?.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = body!["errors"]!.AsObject();
        Assert.Contains("rates[1].key", errors.Select(e => e.Key));
        Assert.Contains("quotas[0].windowStart", errors.Select(e => e.Key));
        Assert.Contains("quotas[0].consumed", errors.Select(e => e.Key));
        Assert.Contains("connections[0].key", errors.Select(e => e.Key));
        (status, body) = await Post(http, Node, JsonNode.Parse("""{"node":"a","rates":[{"key":"k","consumed":"many"}]}""")!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("rates[0].consumed", body!["errors"]!.AsObject().Select(e => e.Key));
        var tooMany = new JsonArray(Enumerable.Range(0, 5001).Select(i => (JsonNode)new JsonObject { ["key"] = $"k{i}", ["consumed"] = 1 }).ToArray());
        (status, body) = await Post(http, Node, new JsonObject { ["node"] = "a", ["rates"] = tooMany });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 5000", body!["detail"]!.GetValue<string>());
        var oversized = new JsonObject { ["node"] = "a", ["rates"] = new JsonArray(Enumerable.Range(0, 5000)
            .Select(i => (JsonNode)new JsonObject { ["key"] = $"k{i}-{new string('x', 450)}", ["consumed"] = 1 }).ToArray()) };
        // The server answers 413 and closes without reading the rest of a body over its limit: a client still uploading
        // can meet the closed socket (broken pipe) before it reads the answer. Such a try says nothing: send it again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                (status, _) = await Post(http, Node, oversized);
                break;
            }
            catch (HttpRequestException e) when (attempt < 5 && e.InnerException is IOException)
            {
            }
        }
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);

        // Totals grow by each node's deltas; connections answer the OTHER nodes' counts.
        long windowStart = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).ToUnixTimeMilliseconds();
        JsonNode Exchange(string node, long rate, long quota, int? connections) => JsonNode.Parse($$"""
            {"node":"{{node}}","rates":[{"key":"{{key}}:events:second","consumed":{{rate}}}],
             "quotas":[{"key":"{{key}}:events:day","windowStart":{{windowStart}},"windowEnd":{{windowStart + 86_400_000}},"consumed":{{quota}}}],
             "connections":[{"key":"{{key}}:connections","count":{{(connections is null ? "null" : connections.ToString())}}}]}
            """)!;
        Assert.Equal("""{"rates":[1000],"quotas":[3],"connections":[0]}""", (await Post(http, Node, Exchange("a", 1000, 3, 2))).Body!.ToJsonString());
        Assert.Equal("""{"rates":[1500],"quotas":[3],"connections":[2]}""", (await Post(http, Node, Exchange("b", 500, 0, 1))).Body!.ToJsonString());
        Assert.Equal("""{"rates":[1500],"quotas":[4],"connections":[1]}""", (await Post(http, Node, Exchange("a", 0, 1, null))).Body!.ToJsonString());

        // A node silent for more than 10 s no longer counts (b stays; a stops reporting).
        var silence = Stopwatch.StartNew();
        while (silence.Elapsed < TimeSpan.FromSeconds(11))
        {
            await Task.Delay(2000);
            Assert.Equal(HttpStatusCode.OK, (await Post(http, Node, Exchange("b", 0, 0, 1))).Status); // b's heartbeat
        }
        Assert.Equal("""{"rates":[1500],"quotas":[4],"connections":[0]}""", (await Post(http, Node, Exchange("b", 0, 0, null))).Body!.ToJsonString());
        Assert.Equal("""{"rates":[1500],"quotas":[4],"connections":[1]}""", (await Post(http, Node, Exchange("a", 0, 0, 0))).Body!.ToJsonString());
    
        // The registration a gateway-role process uses: the gateway's counter store is replaced and syncs while the host runs.
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTollgateGateway(new SnapshotHolder(), new GatewayOptions(TimeSpan.FromSeconds(5), 1 << 20, 1 << 20, TimeSpan.FromMinutes(1)),
            new LiveConnections("gw-di"));
        builder.Services.AddClusterThrottling(new ClusterThrottlingOptions(server.HttpsBase, ClusterCounterSyncTests.Secret, $"gw-di-{key}", AcceptAnyCertificate: true));
        using var host = builder.Build();
        var store = Assert.IsType<ClusterThrottleCounterStore>(host.Services.GetRequiredService<IThrottleCounterStore>());
        await host.StartAsync();
        var waited = Stopwatch.StartNew();
        while (!store.IsShared)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), "the registered store never exchanged its counters");
            await Task.Delay(20);
        }
        await host.StopAsync();
    }

    private static string Node => "Node " + ClusterCounterSyncTests.Secret;

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Post(HttpClient http, string? authorization, JsonNode body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }
}
