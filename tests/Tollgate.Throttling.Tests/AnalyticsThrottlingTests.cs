using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Tollgate.Throttling.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests;

/// <summary>Throttling shows in the analytics: dropped messages in the API's totals, 429 refusals by reason, and /metrics.</summary>
[Collection(ServerCollection.Name)]
public sealed class AnalyticsThrottlingTests(ServerFixture fixture, ITestOutputHelper output) : ServerTest(fixture, output)
{
    [Fact]
    public async Task Dropped_messages_and_429_refusals_are_counted_exactly()
    {
        var plan = Unique("AnDrop");
        await Client.CreatePlanAsync(Admin, new { name = plan, action = "drop", direction = "in", maxConnections = 1,
            limits = new[] { new { events = 5, per = "second", burst = 1 } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        var path = $"api/publisher/analytics/apis/{sub.ApiId}";

        int received;
        const int count = 30;
        await using (var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token))
        {
            // maxConnections = 1: a second connection is refused with 429.
            using var second = EchoClient.NewSocket(sub.Token);
            await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(sub.GatewayUrl, CancellationToken.None));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.HttpStatusCode);

            await client.SendPacedAsync(count, perSecond: 200);
            received = await client.WaitForEchoesAsync(count, quiet: TimeSpan.FromSeconds(1), max: TimeSpan.FromSeconds(10));
            await client.CloseAsync();
        }
        Output.WriteLine($"sent {count}, echoed {received}");
        Assert.InRange(received, 1, count - 1);

        JsonNode report = null!;
        for (var i = 0; i < 50; i++)
        {
            report = await Client.ExpectAsync(HttpMethod.Get, path, Admin, null, HttpStatusCode.OK);
            if (report["totals"]!["dropped"]!.GetValue<long>() == count - received && report["totals"]!["closed"]!.GetValue<long>() >= 1)
                break;
            await Task.Delay(200);
        }
        var totals = report["totals"]!;
        Assert.Equal(count - received, totals["dropped"]!.GetValue<long>());
        Assert.Equal(count - received, totals["throttled"]!.GetValue<long>()); // drop plan: nothing shaped
        Assert.Equal(received, totals["messagesOut"]!.GetValue<long>());
        var tooMany = report["refusals"]!.AsArray().Where(r => r!["status"]!.GetValue<string>() == "429").Sum(r => r!["count"]!.GetValue<long>());
        Assert.Equal(1, tooMany);

        // /metrics: the throttling meter's drops and the 429 handshake, labelled by API.
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });
        http.DefaultRequestHeaders.Authorization = new("Bearer", Admin);
        var text = await http.GetStringAsync(new Uri(Server.HttpsBase, "metrics"));
        Assert.Contains($"tollgate_gateway_connections_total{{api=\"{sub.Label}\",result=\"429\"}} 1\n", text);
        var dropLine = text.Split('\n').Single(l => l.StartsWith("tollgate_gateway_throttled_total{", StringComparison.Ordinal)
            && l.Contains($"api=\"{sub.Label}\"") && l.Contains("action=\"drop\""));
        Assert.EndsWith($" {count - received}", dropLine);
    }
}
