using System.Net;
using System.Net.Http.Headers;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>
/// Connection tickets (browser credentials) work once in the whole cluster: a ticket used on one gateway node is refused
/// on the other; with the control plane away a ticket cannot be checked, so it is refused with 503 (fail closed) while
/// access tokens still work.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterTicketTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_ticket_works_once_across_gateway_nodes_and_is_refused_when_it_cannot_be_checked()
    {
        var secret = ClusterNodes.NewSecret();
        // A backend of its own: the control plane (and its sample echo) goes away during the test.
        await using var backend = new InspectBackend();
        await using var cp = ClusterNodes.ControlPlane(secret);
        await using var g1 = ClusterNodes.Gateway(cp, secret, "ticket-a");
        await using var g2 = ClusterNodes.Gateway(cp, secret, "ticket-b");
        try
        {
            await cp.StartAsync();
            await Task.WhenAll(g1.StartAsync(), g2.StartAsync());
            using var client = new TollgateClient(cp);
            var p = await Scenario.ProvisionAsync(cp, client, endpoint: backend.Endpoint, subscribe: false);
            await client.SubscribeAsync(p.AdminToken, p.Api.Id, p.App.Id, "Gold");
            string Url(TollgateServer g) => $"{g.GatewayBase}{p.Api.Context}/{p.Api.Version}";
            await GatewayClient.WaitUntilAcceptedAsync(Url(g1), p.Token.AccessToken);
            await GatewayClient.WaitUntilAcceptedAsync(Url(g2), p.Token.AccessToken);

            // Used on node a, the same ticket is refused on node b (and again on node a).
            var ticket = await TicketAsync(client, p.Token.AccessToken);
            using (var ws = await ClusterNodes.ConnectAsync($"{Url(g1)}?ticket={ticket}", null!))
            {
                await GatewayClient.AssertEchoAsync(ws, "with a ticket on node a");
                await GatewayClient.CloseQuietlyAsync(ws);
            }
            var replayB = await GatewayClient.TryHandshakeAsync($"{Url(g2)}?ticket={ticket}", null);
            Assert.True(replayB.Code == 401, $"a ticket used on node a must be refused on node b, got {replayB}");
            Assert.Equal(401, (await GatewayClient.TryHandshakeAsync($"{Url(g1)}?ticket={ticket}", null)).Code);

            // A fresh ticket works on node b.
            var fresh = await TicketAsync(client, p.Token.AccessToken);
            var second = await TicketAsync(client, p.Token.AccessToken);
            using (var ws = await ClusterNodes.ConnectAsync($"{Url(g2)}?ticket={fresh}", null!))
                await GatewayClient.AssertEchoAsync(ws, "with a ticket on node b");

            // The control plane goes away: a ticket cannot be checked for single use, so it is refused (503), while the
            // access token it was made from still connects.
            await cp.StopAsync();
            var unchecked_ = await GatewayClient.TryHandshakeAsync($"{Url(g1)}?ticket={second}", null);
            output.WriteLine($"ticket with the control plane away: {unchecked_}");
            Assert.True(unchecked_.Code == 503, $"a ticket that cannot be checked must get 503, got {unchecked_}");
            using (var ws = await ClusterNodes.ConnectAsync(Url(g1), p.Token.AccessToken))
                await GatewayClient.AssertEchoAsync(ws, "token while the control plane is away");
        }
        finally
        {
            foreach (var (name, s) in new[] { ("control plane", cp), ("ticket-a", g1), ("ticket-b", g2) })
                output.WriteLine($"--- {name} ---\n{(s.Log.Length > 5000 ? s.Log[^5000..] : s.Log)}");
        }
    }

    private static async Task<string> TicketAsync(TollgateClient client, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/ticket");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.Http.SendAsync(request);
        var json = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "POST /oauth2/ticket");
        return json.GetProperty("ticket").GetString()!;
    }
}
