using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>What browsers can send: a subprotocol entry, a query token or a single-use ticket; and the Origin allow-list.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class BrowserCredentialTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Token_as_subprotocol_is_taken_out_and_the_backends_choice_passes_through()
    {
        await using var backend = new InspectBackend();
        var p = await Scenario.ProvisionAsync(Server, _client, endpoint: backend.Endpoint);
        using var ws = GatewayClient.NewSocket(bearer: null);
        ws.Options.AddSubProtocol($"tollgate.bearer.{p.Token.AccessToken}");
        ws.Options.AddSubProtocol("chat");
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.ConnectAsync(new Uri(p.GatewayUrl), cts.Token);
        Assert.Equal("chat", ws.SubProtocol);
        var report = await SecuredApi.ReadReportAsync(ws);
        Assert.Equal(["chat"], report.GetProperty("offeredProtocols").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.DoesNotContain(p.Token.AccessToken, report.GetRawText());
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Token_as_the_only_subprotocol_is_answered_so_browsers_accept_the_connection()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = GatewayClient.NewSocket(bearer: null);
        var entry = $"tollgate.bearer.{p.Token.AccessToken}";
        ws.Options.AddSubProtocol(entry);
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.ConnectAsync(new Uri(p.GatewayUrl), cts.Token);
        Assert.Equal(entry, ws.SubProtocol);
        await GatewayClient.AssertEchoAsync(ws, "via subprotocol");
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Tickets_work_once_and_never_reach_the_backend()
    {
        await using var backend = new InspectBackend();
        var p = await Scenario.ProvisionAsync(Server, _client, endpoint: backend.Endpoint);
        var ticket = await GetTicketAsync(p.Token.AccessToken);

        using (var ws = await GatewayClient.ConnectAsync($"{p.GatewayUrl}?ticket={ticket}&room=7", bearer: null))
        {
            var report = await SecuredApi.ReadReportAsync(ws);
            Assert.Equal("?room=7", report.GetProperty("query").GetString());
            await GatewayClient.CloseQuietlyAsync(ws);
        }
        Assert.Equal(401, (await GatewayClient.TryHandshakeAsync($"{p.GatewayUrl}?ticket={ticket}", null)).Code);

        // A ticket dies with the token it was made from.
        var second = await GetTicketAsync(p.Token.AccessToken);
        await _client.RevokeAsync(p.Token.AccessToken, TollgateClient.Bearer(p.AdminToken));
        Assert.Equal(401, (await GatewayClient.TryHandshakeAsync($"{p.GatewayUrl}?ticket={second}", null)).Code);
    }

    [Fact]
    public async Task Ticket_endpoint_refuses_without_a_valid_application_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/ticket");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var response = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Origin_allow_list_lets_listed_origins_in_and_keeps_others_out()
    {
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true, allowedOrigins = new[] { "https://app.example.com" } });
        Assert.Equal(101, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, api.AccessToken, o => o.SetRequestHeader("Origin", "https://app.example.com"))).Code);
        Assert.Equal(403, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, api.AccessToken, o => o.SetRequestHeader("Origin", "https://evil.example.net"))).Code);
        Assert.Equal(403, (await GatewayClient.TryHandshakeAsync(api.GatewayUrl, api.AccessToken)).Code);
    }

    [Fact]
    public async Task Invalid_origin_in_the_settings_is_a_field_error()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var id = Scenario.Unique();
        using var response = await _client.SendAsync(HttpMethod.Post, "/api/publisher/apis", admin, new
        {
            name = $"Bad{id}", context = $"/bad{id}", version = "1", endpoint = new { production = Server.EchoEndpoint },
            security = new { allowedOrigins = new[] { "https://app.example.com/path" } },
        });
        var problem = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.BadRequest, "bad origin");
        Assert.True(problem.GetProperty("errors").TryGetProperty("security.allowedOrigins", out _), problem.GetRawText());
    }

    private async Task<string> GetTicketAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/ticket");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await _client.Http.SendAsync(request);
        var json = await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "ticket");
        Assert.InRange(json.GetProperty("expires_in").GetInt32(), 1, 30);
        return json.GetProperty("ticket").GetString()!;
    }
}
