using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Tollgate.Store.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Store.Tests;

/// <summary>
/// Two real server processes on one PostgreSQL database, each with its own gateway: what one control plane changes is
/// live on the other's gateway within two seconds (LISTEN/NOTIFY), tokens and portal sessions of one are valid on the other.
/// Like two control planes behind one load balancer they share one public address (https://localhost:PORT, the tokens'
/// issuer): A listens on 127.0.0.1, B on 127.0.0.2, on the same port.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class TwoControlPlanesTests(PostgresServer pg, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(2);

    private readonly TollgateServer _a = new();
    private readonly TollgateServer _b = new();
    private Rest _restA = null!;
    private Rest _restB = null!;
    private string _store = "";
    private string _admin = "";

    public async Task InitializeAsync()
    {
        // A database that does not exist yet, and both started at once: Tollgate creates it, the advisory lock orders them.
        _store = pg.ConnectionString(PostgresServer.UniqueName("cluster"));
        _a.ExtraArgs.AddRange(["--store", _store]);
        _b.ExtraArgs.AddRange(["--store", _store, "--bind", "127.0.0.2", "--https-port", _a.HttpsPort.ToString()]);
        await Task.WhenAll(_a.StartAsync(), _b.StartAsync());
        _restA = new Rest(_a);
        _restB = new Rest(BaseB);
        // The administrator was created by whichever seeded first, with that one's password.
        foreach (var password in new[] { _a.AdminPassword, _b.AdminPassword })
        {
            using var response = await _restA.Http.PostAsync("oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password", ["username"] = "admin", ["password"] = password,
            }));
            if (response.IsSuccessStatusCode)
                _admin = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        }
        Assert.False(string.IsNullOrEmpty(_admin), "neither server's administrator password signs in");
    }

    public async Task DisposeAsync()
    {
        _restA?.Dispose();
        _restB?.Dispose();
        await _a.StopAsync();
        await _b.StopAsync();
        output.WriteLine("--- control plane A ---\n" + Tail(_a.Log));
        output.WriteLine("--- control plane B ---\n" + Tail(_b.Log));
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private Uri BaseB => new($"https://127.0.0.2:{_a.HttpsPort}/");

    private string GatewayB => $"ws://127.0.0.2:{_b.GatewayPort}";

    [Fact]
    public async Task A_change_on_one_control_plane_is_live_on_the_others_gateway_within_two_seconds()
    {
        // One signing key, kept in the store: a token of A is valid on B.
        await _restB.ExpectAsync(HttpMethod.Get, "api/publisher/apis", _admin, null, HttpStatusCode.OK);

        var (url, consumerKey, consumerSecret, subscribe) = await ProvisionOnAAsync();
        // B's key manager knows the keys A made (the store), and B's gateway the subscription A makes (the notice).
        var token = await _restB.ClientCredentialsTokenAsync(consumerKey, consumerSecret);
        Assert.Equal(403, await Gateway.HandshakeAsync(url(_b), token)); // not subscribed yet
        var since = await subscribe();
        Assert.Equal(101, await Gateway.HandshakeAsync(url(_a), token)); // A's own gateway has it at once (read-your-writes)
        var live = await Gateway.WaitForHandshakeAsync(url(_b), token, 101, Propagation, since);
        output.WriteLine($"the subscription made on A was live on B's gateway {live.TotalMilliseconds:0} ms after A answered");
        using var ws = await Gateway.ConnectAsync(url(_b), token);
        await Gateway.AssertEchoAsync(ws, "hello through the other control plane's gateway");

        // Revoked on A: B reloads its revocation list and closes the live connection.
        var revoked = Stopwatch.StartNew();
        await _restA.RevokeAsync(_admin, token);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await Gateway.WaitForCloseAsync(ws, Propagation + TimeSpan.FromSeconds(1)));
        output.WriteLine($"the live connection on B closed {revoked.ElapsedMilliseconds} ms after A revoked the token");
        Assert.True(revoked.Elapsed < Propagation + TimeSpan.FromSeconds(1), $"closed only after {revoked.Elapsed}");
        Assert.Equal(401, await Gateway.HandshakeAsync(url(_b), token));

        // Nothing echoes back and forth: a control plane that rebuilt for another's change announces nothing, so the
        // change counter stands still once the revocation is through (ping-pong would keep bumping it).
        var counter = await CounterAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(counter, await CounterAsync());
    }

    [Fact]
    public async Task Changes_missed_while_the_listener_reconnects_or_made_without_a_notice_still_arrive()
    {
        var (url, consumerKey, consumerSecret, subscribe) = await ProvisionOnAAsync();
        var token = await _restA.ClientCredentialsTokenAsync(consumerKey, consumerSecret);
        // Cut every control plane's LISTEN connection, then change on A while they wait to reconnect (1 s).
        await using (var connection = new NpgsqlConnection(_store))
        {
            await connection.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'Tollgate change listener' AND datname = current_database()", connection);
            Assert.Equal(2L, await kill.ExecuteScalarAsync());
        }
        var since = await subscribe();
        var caught = await Gateway.WaitForHandshakeAsync(url(_b), token, 101, TimeSpan.FromSeconds(15), since);
        output.WriteLine($"a change made while B's listener was cut arrived after {caught.TotalMilliseconds:0} ms");
        Assert.Contains("Listening again", _b.Log);

        // A change written straight into the store with only the counter bumped (no notice): the 5-second poll finds it.
        since = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(_store))
        {
            await connection.OpenAsync();
            await using var block = new NpgsqlCommand(
                $"UPDATE subscriptions SET \"Status\" = 'Blocked'; SELECT nextval('{PostgresStore.ChangeCounter}');", connection);
            await block.ExecuteNonQueryAsync();
        }
        var blocked = await Gateway.WaitForHandshakeAsync(url(_b), token, 403, TimeSpan.FromSeconds(15), since);
        output.WriteLine($"a change announced only by the counter arrived after {blocked.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_portal_session_opened_on_one_control_plane_is_valid_on_the_other()
    {
        using var handler = new HttpClientHandler
        {
            // Cookies ignore the port: both servers on 127.0.0.1 share them, as two control planes behind one name would.
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, _, _, _) => true,
        };
        using var http = new HttpClient(handler);
        var form = await http.GetStringAsync(new Uri(_a.HttpsBase, "admin/signin"));
        var antiforgery = AntiforgeryField().Match(form).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(antiforgery), "the sign-in form has no antiforgery token");
        ShareCookies(handler.CookieContainer, _a.HttpsBase, BaseB);

        // The form of A, posted to B: B must read A's antiforgery token (one key ring in the store).
        HttpStatusCode status = 0;
        foreach (var candidate in new[] { _a.AdminPassword, _b.AdminPassword })
        {
            using var post = await http.PostAsync(new Uri(BaseB, "admin/signin"), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(antiforgery),
                ["returnUrl"] = "/admin", ["username"] = "admin", ["password"] = candidate,
            }));
            status = post.StatusCode;
            Assert.NotEqual(HttpStatusCode.BadRequest, status); // 400: B could not read A's antiforgery token
            if (status == HttpStatusCode.Redirect)
                break;
        }
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.Contains(handler.CookieContainer.GetCookies(BaseB).Cast<Cookie>(), c => c.Name == "tollgate.portal");

        // B's session cookie, shown to A.
        ShareCookies(handler.CookieContainer, BaseB, _a.HttpsBase);
        using var page = await http.GetAsync(new Uri(_a.HttpsBase, "admin/users"));
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /admin/users on A with B's session: {(int)page.StatusCode} {page.Headers.Location}");
        Assert.Contains("admin", await page.Content.ReadAsStringAsync());
    }

    /// <summary>Copies the cookies of one host to another (a browser would see one name in front of both).</summary>
    private static void ShareCookies(CookieContainer cookies, Uri from, Uri to)
    {
        foreach (Cookie c in cookies.GetCookies(from))
            cookies.Add(to, new Cookie(c.Name, c.Value, "/"));
    }

    /// <summary>
    /// A published API on A's echo backend and an application with keys, made on A; the returned call subscribes the
    /// application (Gold) on A and starts the clock when A has answered.
    /// </summary>
    private async Task<(Func<TollgateServer, string> Url, string ConsumerKey, string ConsumerSecret, Func<Task<Stopwatch>> Subscribe)> ProvisionOnAAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var api = await _restA.ExpectAsync(HttpMethod.Post, "api/publisher/apis", _admin, new
        {
            name = $"Cluster{id}", context = $"/cluster{id}", version = "1.0.0",
            endpoint = new { production = _a.EchoEndpoint }, plans = new[] { "Gold" }, publish = true,
        }, HttpStatusCode.Created);
        var app = await _restA.ExpectAsync(HttpMethod.Post, "api/devportal/applications", _admin, new { name = $"App{id}" }, HttpStatusCode.Created);
        var appId = app["id"]!.GetValue<string>();
        var keys = await _restA.ExpectAsync(HttpMethod.Post, $"api/devportal/applications/{appId}/keys", _admin, new { keyType = "production" }, HttpStatusCode.Created);
        async Task<Stopwatch> SubscribeAsync()
        {
            await _restA.ExpectAsync(HttpMethod.Post, "api/devportal/subscriptions", _admin,
                new { apiId = api["id"]!.GetValue<string>(), applicationId = appId, plan = "Gold" }, HttpStatusCode.Created);
            return Stopwatch.StartNew();
        }
        return (server => $"{(server == _b ? GatewayB : server.GatewayBase)}/cluster{id}/1.0.0",
            keys["consumerKey"]!.GetValue<string>(), keys["consumerSecret"]!.GetValue<string>(), SubscribeAsync);
    }

    private async Task<long> CounterAsync()
    {
        await using var connection = new NpgsqlConnection(_store);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT last_value FROM {PostgresStore.ChangeCounter}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Tail(string log) => log.Length > 15_000 ? "…" + log[^15_000..] : log;

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
