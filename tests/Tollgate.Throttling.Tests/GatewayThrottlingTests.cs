using System.Net;
using System.Net.WebSockets;
using Tollgate.Throttling.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests;

/// <summary>
/// The checks against the real server process: real ClientWebSocket clients on loopback, the shipped echo
/// backend, plans made through POST /api/admin/plans. Limits are scaled down (tens of events a second) so each
/// test takes seconds; the logic is the production one.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GatewayThrottlingTests(ServerFixture fixture, ITestOutputHelper output) : ServerTest(fixture, output)
{
    [Fact]
    public async Task Shape_slows_a_sender_at_twice_the_rate_to_the_limit_and_loses_nothing()
    {
        // 40 events a second, both directions counted (the default): each echo round trip is two events, so the
        // client gets 20 echoes a second at most. It sends 40 a second: twice what the plan allows.
        var plan = Unique("Shape");
        await Client.CreatePlanAsync(Admin, new { name = plan, action = "shape", limits = new[] { new { events = 40, per = "second" } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        const int count = 120;
        await client.SendPacedAsync(count, perSecond: 40);
        int got = await client.WaitForEchoesAsync(count, quiet: TimeSpan.FromSeconds(3), max: TimeSpan.FromSeconds(20));

        Assert.Equal(count, got);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), client.Echoes.Select(e => e.Text)); // none lost, in order
        // Past the initial burst, the gateway spaces the messages at the limit: 40 events/s = 20 round trips/s, within 5%
        // (the median gap, which a stall of this test process on a busy machine does not skew)...
        double spacing = client.SpacingRate(20, count - 1);
        double overall = client.Rate(20, count - 1);
        Output.WriteLine($"spacing {spacing:F2} echoes/s = {2 * spacing:F2} events/s, overall {2 * overall:F2} events/s (limit 40)");
        Assert.InRange(2 * spacing, 40 * 0.95, 40 * 1.05);
        // ... and nothing got through faster than the limit. The gateway's limiter starts when message 0 arrives, after the
        // client sent it, so past the first 20 echoes echo k cannot arrive before SentAt[0] + (k - 20) / 20 s. Measured
        // from the send time (not from echo 20's arrival, which a stall of this test process can record late and so
        // shorten the window: once 47.7 events/s "over the window" with a median spacing of exactly 40), a stall can
        // only make the recorded times later, never earlier.
        var echoes = client.Echoes;
        for (var k = 20; k < count; k++)
        {
            var earliest = (k - 20) / 20.0 * 0.95;
            Assert.True(echoes[k].AtSeconds - client.SentAt[0] >= earliest,
                $"echo {k} came back {echoes[k].AtSeconds - client.SentAt[0]:F3} s after the first send, before the limit allows ({earliest:F3} s)");
        }
        await client.CloseAsync(); // the per-connection throttling line is written when the connection ends
        await WaitForLogAsync(TimeSpan.FromSeconds(10), "throttled api=" + sub.Label, "shaped=");
    }

    [Fact]
    public async Task Drop_forwards_at_most_the_limit_and_counts_the_rest()
    {
        // Client-to-backend only, so every echo is a message the backend received.
        var plan = Unique("Drop");
        await Client.CreatePlanAsync(Admin, new { name = plan, action = "drop", direction = "in", limits = new[] { new { events = 20, per = "second", burst = 2 } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        const int count = 80;
        double start = client.Now;
        await client.SendPacedAsync(count, perSecond: 40);
        double elapsed = client.Now - start;
        int received = await client.WaitForEchoesAsync(count, quiet: TimeSpan.FromSeconds(1), max: TimeSpan.FromSeconds(10));
        await client.CloseAsync();

        // At most the rate over the time sent plus the burst (2); one more for the window edge and one for
        // loopback jitter between the client's clock and the gateway's (the exact bound is unit-tested).
        // At least 80 % of what the plan's own limiter admits from the times the messages really went: evenly paced that
        // is the rate over the time sent, but a late timer on a busy machine sends several at once, and the burst of 2
        // then rightly drops the rest of the bunch.
        var spec = Tollgate.Gateway.Throttling.RateSpec.For(20, TimeSpan.FromSeconds(1), burst: 2);
        var limiter = new Tollgate.Gateway.Throttling.RateCounter("drop-test");
        int admissible = client.SentAt.Count(t => limiter.TryTake(1, spec, (long)(t * 1_000_000_000)));
        Output.WriteLine($"sent {count} in {elapsed:F2} s, backend received {received}, the limiter admits {admissible} of those send times");
        Assert.InRange(received, (int)(Math.Min(20 * elapsed, admissible) * 0.8), (int)(20 * elapsed) + 2 + 2);
        var line = await WaitForLogAsync(TimeSpan.FromSeconds(10), "throttled api=" + sub.Label, "dropped=");
        Assert.Contains($"dropped={count - received}", line);
        // The messages that went through are whole and in order.
        var numbers = client.Echoes.Select(e => int.Parse(e.Text[1..])).ToArray();
        Assert.Equal(numbers.Order(), numbers);
    }

    [Fact]
    public async Task Close_ends_the_connection_with_1008_naming_the_plan_limit()
    {
        var plan = Unique("Close");
        await Client.CreatePlanAsync(Admin, new { name = plan, action = "close", limits = new[] { new { events = 10, per = "second" } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        await client.SendPacedAsync(40, perSecond: 200);
        await Task.WhenAny(client.Closed, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal($"{plan} limit of 10 events per second exceeded", client.CloseDescription);
        Assert.True(client.EchoCount < 40, $"{client.EchoCount} echoes came back");
    }

    [Fact]
    public async Task A_connection_beyond_maxConnections_gets_429_with_Retry_After()
    {
        var plan = Unique("Conn");
        await Client.CreatePlanAsync(Admin, new { name = plan, maxConnections = 2, limits = new[] { new { events = 1000, per = "second" } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        await using var first = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);
        await using var second = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        using var third = EchoClient.NewSocket(sub.Token);
        await Assert.ThrowsAsync<WebSocketException>(() => third.ConnectAsync(sub.GatewayUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.HttpStatusCode);
        Assert.True(third.HttpResponseHeaders!.TryGetValue("Retry-After", out var retryAfter), "no Retry-After header");
        Assert.True(int.Parse(retryAfter.Single()) >= 1);

        // A slot frees when a connection ends.
        await first.CloseAsync();
        await Task.Delay(300);
        await using var again = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);
    }

    [Fact]
    public async Task An_Unlimited_subscription_is_not_slowed()
    {
        var sub = await Client.SubscribeAsync(Admin, ["Unlimited"]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        const int count = 2000;
        double start = client.Now;
        for (int i = 0; i < count; i++)
            await client.SendAsync($"m{i}");
        int got = await client.WaitForEchoesAsync(count, quiet: TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(20));
        double elapsed = client.Now - start;
        Output.WriteLine($"{count} round trips in {elapsed:F3} s");

        Assert.Equal(count, got);
        Assert.True(count / elapsed > 200, $"only {count / elapsed:F0} echoes/s"); // Bronze would allow 100 a minute; a busy CI machine still does thousands
        await client.CloseAsync();
        await WaitForLogAsync(TimeSpan.FromSeconds(10), "access api=" + sub.Label);
        Assert.DoesNotContain("throttled api=" + sub.Label, Server.Log);
    }

    [Fact]
    public async Task Changing_the_subscription_plan_mid_connection_changes_the_measured_rate()
    {
        var slow = Unique("Slow");
        var fast = Unique("Fast");
        await Client.CreatePlanAsync(Admin, new { name = slow, direction = "in", limits = new[] { new { events = 20, per = "second", burst = 1 } } });
        await Client.CreatePlanAsync(Admin, new { name = fast, direction = "in", limits = new[] { new { events = 60, per = "second", burst = 1 } } });
        var sub = await Client.SubscribeAsync(Admin, [slow, fast]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        // Far more than either plan allows: the gateway holds the rest back (nothing is lost).
        var sending = client.SendPacedAsync(600, perSecond: 200);
        // Measured past the start (first echoes can be late while the server warms up) over two seconds.
        await client.WaitForEchoesAsync(61, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        double before = client.SpacingRate(20, 60);

        await Client.ExpectAsync(HttpMethod.Put, $"api/devportal/subscriptions/{sub.SubscriptionId}", Admin, new { plan = fast }, HttpStatusCode.OK);
        int changedAt = client.EchoCount;
        await client.WaitForEchoesAsync(changedAt + 240, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        // Within a second the new plan applies: count the echoes from 1 s after the change to the last one, over
        // that time. A long window keeps a stall of this test process on a busy machine from skewing it much
        // (a median gap would not do here: echoes held up by a stall arrive together and look like no gap at all).
        var echoes = client.Echoes;
        double from = echoes[changedAt].AtSeconds + 1.0;
        double to = echoes[^1].AtSeconds;
        double after = echoes.Count(e => e.AtSeconds > from && e.AtSeconds <= to) / (to - from);
        Output.WriteLine($"before {before:F1}/s (plan 20/s), after {after:F1}/s over {to - from:F1} s (plan 60/s)");

        Assert.InRange(before, 20 * 0.9, 20 * 1.1);
        Assert.True(after > 2 * before, $"the rate did not change with the plan: {before:F1}/s, then {after:F1}/s");
        Assert.InRange(after, 60 * 0.8, 60 * 1.2);
        await sending;
    }

    [Fact]
    public async Task A_spent_quota_closes_live_connections_and_refuses_new_ones_with_429()
    {
        var plan = Unique("Quota");
        await Client.CreatePlanAsync(Admin, new { name = plan, direction = "in", limits = new[] { new { events = 10, per = "hour" } } });
        var sub = await Client.SubscribeAsync(Admin, [plan]);
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        await client.SendPacedAsync(12, perSecond: 100);
        await Task.WhenAny(client.Closed, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Equal(10, client.EchoCount);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal($"{plan} quota of 10 events per hour is spent", client.CloseDescription);

        using var next = EchoClient.NewSocket(sub.Token);
        await Assert.ThrowsAsync<WebSocketException>(() => next.ConnectAsync(sub.GatewayUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, next.HttpStatusCode);
        var retryAfter = int.Parse(next.HttpResponseHeaders!["Retry-After"].Single());
        Assert.InRange(retryAfter, 1, 3600);
    }

    [Fact]
    public async Task The_API_wide_policy_caps_backend_connections_and_each_connection()
    {
        var sub = await Client.SubscribeAsync(Admin, ["Unlimited"], throttling: new
        {
            maxBackendConnections = 1,
            perConnection = new { action = "close", limits = new[] { new { events = 5, per = "second", burst = 5 } } },
        });
        await using var client = await EchoClient.ConnectAsync(sub.GatewayUrl, sub.Token);

        using var second = EchoClient.NewSocket(sub.Token);
        await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(sub.GatewayUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.HttpStatusCode);

        await client.SendPacedAsync(30, perSecond: 500);
        await Task.WhenAny(client.Closed, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal("per-connection limit of 5 events per second exceeded", client.CloseDescription);
    }
}
