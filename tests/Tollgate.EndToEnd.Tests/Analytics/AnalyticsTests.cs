using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Analytics;

/// <summary>A server of its own that flushes analytics every 200 ms, serves /metrics on a plain port too, and logs JSON.</summary>
public sealed class AnalyticsServerFixture : IAsyncLifetime
{
    public TollgateServer Server { get; } = new();
    public TollgateClient Client { get; private set; } = null!;
    public int MetricsPort { get; } = FreePorts.Take();

    public async Task InitializeAsync()
    {
        Server.ExtraArgs.AddRange(["--analytics-flush-ms", "200", "--metrics-port", MetricsPort.ToString(), "--log-format", "json"]);
        await Server.StartAsync();
        Client = new TollgateClient(Server);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// Real traffic through the gateway (accepted, refused 401/403/404, messages both ways, closed by the client and by the
/// backend, one connection sampled while open) and the exact numbers in the REST analytics and in /metrics.
/// Counts are compared with a baseline taken after provisioning (whose readiness probes are connections too).
/// </summary>
public sealed class AnalyticsTests(AnalyticsServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output), IClassFixture<AnalyticsServerFixture>
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Traffic_IsCountedExactly_InRestAnalytics_AndMetrics()
    {
        await using var backend = new ClosingBackend();
        var p = await Scenario.ProvisionAsync(Server, _client, endpoint: backend.Endpoint);
        var admin = p.AdminToken;
        var label = $"{p.Api.Context}/{p.Api.Version}";
        // An application without a subscription: wait until the gateway knows its key (403, not 401) before the baseline.
        var other = await _client.CreateApplicationAsync(admin, $"NoSub{Scenario.Unique()}");
        var otherKeys = await _client.GenerateKeysAsync(admin, other.Id);
        var otherToken = (await _client.GetClientCredentialsTokenAsync(otherKeys.ConsumerKey, otherKeys.ConsumerSecret!)).AccessToken;
        await GatewayClient.PollHandshakeAsync(p.GatewayUrl, otherToken, h => h.Status == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(3));

        var api0 = await SettledReportAsync($"api/publisher/analytics/apis/{p.Api.Id}", admin);
        var all0 = await SettledReportAsync("api/publisher/analytics/apis", admin);
        var month0 = await GetReportAsync($"api/publisher/analytics/apis/{p.Api.Id}?range=month", admin);
        var m0 = await ScrapeAsync(admin);

        // Refusals: 401 twice, 403 once, 404 once (unknown context).
        Assert.Equal(HttpStatusCode.Unauthorized, (await GatewayClient.TryHandshakeAsync(p.GatewayUrl, null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GatewayClient.TryHandshakeAsync(p.GatewayUrl, "not-a-jwt")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GatewayClient.TryHandshakeAsync(p.GatewayUrl, otherToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}/nothing-{Scenario.Unique()}/1.0.0", p.Token.AccessToken)).Status);

        // Closed by the client (1000 "bye"): 3 × "hello" each way.
        using (var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken))
        {
            for (var i = 0; i < 3; i++)
                await GatewayClient.AssertEchoAsync(ws, "hello");
            await GatewayClient.CloseQuietlyAsync(ws);
        }

        // Closed by the backend (4001 "backend done"): "x1" echoed, then "close".
        using (var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken))
        {
            await GatewayClient.AssertEchoAsync(ws, "x1");
            await GatewayClient.SendTextAsync(ws, "close");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var r = await ws.ReceiveAsync(new byte[1024], cts.Token);
            Assert.Equal(WebSocketMessageType.Close, r.MessageType);
            Assert.Equal(ClosingBackend.CloseCode, (int)r.CloseStatus!);
            await GatewayClient.CloseQuietlyAsync(ws);
        }

        // A long connection: its messages are counted while it is still open (periodic sampling), and it shows as open.
        using (var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken))
        {
            await GatewayClient.AssertEchoAsync(ws, "live");
            var open = await PollReportAsync($"api/publisher/analytics/apis/{p.Api.Id}", admin,
                r => Total(r, "messagesIn") - Total(api0, "messagesIn") == 6 && r.GetProperty("openNow").GetInt32() == 1);
            Assert.Equal(1, open.GetProperty("openNow").GetInt32());
            using var live = await _client.SendAsync(HttpMethod.Get, "api/publisher/analytics/live", admin);
            var liveJson = await TollgateClient.ExpectJsonAsync(live, HttpStatusCode.OK, "GET /api/publisher/analytics/live");
            Assert.Contains(liveJson.GetProperty("items").EnumerateArray(), i => i.GetProperty("api").GetString() == label && i.GetProperty("open").GetInt32() == 1);
            await GatewayClient.CloseQuietlyAsync(ws);
        }

        // Expected: 3 accepted; in 6 messages / 5+5+5+2+5+4 = 26 bytes; out 5 messages / 15+2+4 = 21 bytes.
        var api1 = await PollReportAsync($"api/publisher/analytics/apis/{p.Api.Id}", admin,
            r => Total(r, "closed") - Total(api0, "closed") == 3 && Total(r, "refused") - Total(api0, "refused") == 3);
        Assert.Equal(3, Total(api1, "connections") - Total(api0, "connections"));
        Assert.Equal(3, Total(api1, "refused") - Total(api0, "refused"));
        Assert.Equal(6, Total(api1, "messagesIn") - Total(api0, "messagesIn"));
        Assert.Equal(26, Total(api1, "bytesIn") - Total(api0, "bytesIn"));
        Assert.Equal(5, Total(api1, "messagesOut") - Total(api0, "messagesOut"));
        Assert.Equal(21, Total(api1, "bytesOut") - Total(api0, "bytesOut"));
        Assert.Equal(0, api1.GetProperty("openNow").GetInt32());
        Assert.Equal(2, Refusals(api1, "401") - Refusals(api0, "401"));
        Assert.Equal(1, Refusals(api1, "403") - Refusals(api0, "403"));
        Assert.Equal(1, CloseCodes(api1, ClosingBackend.CloseCode, "backend") - CloseCodes(api0, ClosingBackend.CloseCode, "backend"));
        Assert.Equal(2, CloseCodes(api1, 1000, "client") - CloseCodes(api0, 1000, "client"));
        Assert.True(api1.GetProperty("handshakeMs").GetProperty("p50").GetDouble() > 0, "handshake latency percentiles are measured");
        Assert.Equal(60, api1.GetProperty("series").GetArrayLength());
        var top = api1.GetProperty("topApplications").EnumerateArray().Single(a => a.GetProperty("id").GetString() == p.App.Id);
        Assert.True(top.GetProperty("messagesIn").GetInt64() >= 6);

        // The daily roll-up (range=month) has the same counts.
        var month1 = await GetReportAsync($"api/publisher/analytics/apis/{p.Api.Id}?range=month", admin);
        Assert.Equal(30, month1.GetProperty("series").GetArrayLength());
        foreach (var (name, expected) in new[] { ("connections", 3L), ("refused", 3L), ("messagesIn", 6L), ("bytesIn", 26L), ("messagesOut", 5L), ("bytesOut", 21L) })
            Assert.True(Total(month1, name) - Total(month0, name) == expected, $"month {name}: {Total(month1, name) - Total(month0, name)} instead of {expected}");

        var all1 = await PollReportAsync("api/publisher/analytics/apis", admin, r => Refusals(r, "404") - Refusals(all0, "404") == 1);
        Assert.Equal(1, Refusals(all1, "404") - Refusals(all0, "404"));
        Assert.Equal(4, Total(all1, "refused") - Total(all0, "refused")); // the API's own 3 plus one 404

        // The application's owner sees the same traffic on the Developer Portal side; another subscriber does not.
        using (var appReport = await _client.SendAsync(HttpMethod.Get, $"api/devportal/analytics/applications/{p.App.Id}?range=day", admin))
        {
            var json = await TollgateClient.ExpectJsonAsync(appReport, HttpStatusCode.OK, "GET devportal application analytics");
            Assert.True(Total(json, "messagesIn") >= 6);
            Assert.Contains(json.GetProperty("apis").EnumerateArray(), a => a.GetProperty("id").GetString() == p.Api.Id);
        }
        var stranger = $"dev{Scenario.Unique()}";
        await _client.CreateUserAsync(admin, stranger, "Str0ng-Passw0rd!", "subscriber");
        var strangerToken = (await _client.GetUserTokenAsync(stranger, "Str0ng-Passw0rd!")).AccessToken;
        using (var denied = await _client.SendAsync(HttpMethod.Get, $"api/devportal/analytics/applications/{p.App.Id}", strangerToken))
            Assert.True(denied.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"another user's application analytics: {(int)denied.StatusCode}");

        // CSV export: a header and one line per minute of the last hour.
        using (var csv = await _client.SendAsync(HttpMethod.Get, $"api/publisher/analytics/apis/{p.Api.Id}?format=csv", admin))
        {
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("time,connections,refused,closed,open,messagesIn,messagesOut,bytesIn,bytesOut", lines[0]);
            Assert.Equal(61, lines.Length);
        }
        using (var bad = await _client.SendAsync(HttpMethod.Get, $"api/publisher/analytics/apis/{p.Api.Id}?range=decade", admin))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // /metrics: same numbers.
        var m1 = await ScrapeAsync(admin);
        var api = ("api", label);
        Assert.Equal(6, m1.Value("tollgate_gateway_messages_total", api, ("direction", "in")) - m0.Value("tollgate_gateway_messages_total", api, ("direction", "in")));
        Assert.Equal(5, m1.Value("tollgate_gateway_messages_total", api, ("direction", "out")) - m0.Value("tollgate_gateway_messages_total", api, ("direction", "out")));
        Assert.Equal(26, m1.Value("tollgate_gateway_bytes_total", api, ("direction", "in")) - m0.Value("tollgate_gateway_bytes_total", api, ("direction", "in")));
        Assert.Equal(21, m1.Value("tollgate_gateway_bytes_total", api, ("direction", "out")) - m0.Value("tollgate_gateway_bytes_total", api, ("direction", "out")));
        Assert.Equal(3, m1.Value("tollgate_gateway_connections_total", api, ("result", "accepted")) - m0.Value("tollgate_gateway_connections_total", api, ("result", "accepted")));
        Assert.Equal(2, m1.Value("tollgate_gateway_connections_total", api, ("result", "401")) - m0.Value("tollgate_gateway_connections_total", api, ("result", "401")));
        Assert.Equal(1, m1.Value("tollgate_gateway_connections_total", api, ("result", "403")) - m0.Value("tollgate_gateway_connections_total", api, ("result", "403")));
        Assert.Equal(1, m1.Value("tollgate_gateway_connections_total", ("api", "unknown"), ("result", "404")) - m0.Value("tollgate_gateway_connections_total", ("api", "unknown"), ("result", "404")));
        Assert.Equal(0, m1.Value("tollgate_gateway_open_connections", api));
        Assert.Equal(6, m1.Value("tollgate_gateway_handshake_seconds_count", api) - m0.Value("tollgate_gateway_handshake_seconds_count", api));
        Assert.Equal("counter", m1.Types["tollgate_gateway_messages_total"]);
        Assert.Equal("counter", m1.Types["tollgate_gateway_bytes_total"]);
        Assert.Equal("counter", m1.Types["tollgate_gateway_connections_total"]);
        Assert.Equal("gauge", m1.Types["tollgate_gateway_open_connections"]);
        Assert.Equal("histogram", m1.Types["tollgate_gateway_handshake_seconds"]);

        // The access log: one JSON line per connection, never the token.
        var log = Server.Log;
        Assert.Contains("\"EventId\":1000", log);
        Assert.DoesNotContain(p.Token.AccessToken, log);
        Assert.DoesNotContain(otherToken, log);
    }

    [Fact]
    public async Task Metrics_NeedAnAdminToken_OnTheControlPlane_AndNoneOnTheMetricsPort()
    {
        using (var anonymous = await _client.SendAsync(HttpMethod.Get, "metrics", null))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var dev = $"dev{Scenario.Unique()}";
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        await _client.CreateUserAsync(admin, dev, "Str0ng-Passw0rd!", "subscriber");
        var devToken = (await _client.GetUserTokenAsync(dev, "Str0ng-Passw0rd!")).AccessToken;
        using (var notAdmin = await _client.SendAsync(HttpMethod.Get, "metrics", devToken))
            Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);

        await GatewayClient.TryHandshakeAsync($"{Server.GatewayBase}/nothing-{Scenario.Unique()}", null); // at least one series
        await Task.Delay(300);
        using var http = new HttpClient();
        using var plain = await http.GetAsync($"http://127.0.0.1:{fx.MetricsPort}/metrics");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("text/plain", plain.Content.Headers.ContentType?.MediaType);
        var text = PrometheusText.Parse(await plain.Content.ReadAsStringAsync());
        Assert.True(text.Value("tollgate_gateway_connections_total", ("api", "unknown"), ("result", "404")) >= 1);
    }

    private static long Total(JsonElement report, string name) => report.GetProperty("totals").GetProperty(name).GetInt64();

    private static long Refusals(JsonElement report, string status) =>
        report.GetProperty("refusals").EnumerateArray().Where(r => r.GetProperty("status").GetString() == status).Sum(r => r.GetProperty("count").GetInt64());

    private static long CloseCodes(JsonElement report, int code, string closedBy) =>
        report.GetProperty("closeCodes").EnumerateArray()
            .Where(c => c.GetProperty("code").ValueKind == JsonValueKind.Number && c.GetProperty("code").GetInt32() == code && c.GetProperty("closedBy").GetString() == closedBy)
            .Sum(c => c.GetProperty("count").GetInt64());

    private async Task<JsonElement> GetReportAsync(string path, string admin)
    {
        using var response = await _client.SendAsync(HttpMethod.Get, path, admin);
        return (await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, $"GET {path}")).Clone();
    }

    private async Task<JsonElement> PollReportAsync(string path, string admin, Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var report = await GetReportAsync(path, admin);
            if (done(report) || DateTime.UtcNow > until)
                return report;
            await Task.Delay(100);
        }
    }

    /// <summary>A report once every connection so far has ended and been written (two reads a flush apart agree).</summary>
    private async Task<JsonElement> SettledReportAsync(string path, string admin)
    {
        var previous = await GetReportAsync(path, admin);
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(500);
            var current = await GetReportAsync(path, admin);
            if (current.GetProperty("totals").GetRawText() == previous.GetProperty("totals").GetRawText() && current.GetProperty("openNow").GetInt32() == 0)
                return current;
            previous = current;
        }
        return previous;
    }

    private async Task<PrometheusText> ScrapeAsync(string admin)
    {
        using var response = await _client.SendAsync(HttpMethod.Get, "metrics", admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }
}
