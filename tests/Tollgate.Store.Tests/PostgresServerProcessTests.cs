using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Store.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Store.Tests;

/// <summary>The real server on PostgreSQL: the REST tutorial end to end, and a clear refusal of a store it cannot use.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerProcessTests(PostgresServer pg, ITestOutputHelper output)
{
    [Fact]
    public async Task The_rest_tutorial_runs_on_postgresql_and_echoes_through_the_gateway()
    {
        var store = await pg.CreateDatabaseAsync(PostgresServer.UniqueName("tutorial"));
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--store", store]);
        try
        {
            await server.StartAsync();
            using var rest = new Rest(server);
            var admin = await rest.UserTokenAsync(server.AdminUser, server.AdminPassword);

            // Design a new WebSocket API, then publish it through its lifecycle.
            var api = await rest.ExpectAsync(HttpMethod.Post, "api/publisher/apis", admin, new
            {
                name = "EchoWebSocket", context = "/echowebsocket", version = "1.0.0",
                endpoint = new { production = server.EchoEndpoint }, plans = new[] { "Gold", "Silver" },
            }, HttpStatusCode.Created);
            Assert.Equal("Created", api["state"]!.GetValue<string>());
            var id = api["id"]!.GetValue<string>();
            var lifecycle = await rest.ExpectAsync(HttpMethod.Get, $"api/publisher/apis/{id}/lifecycle", admin, null, HttpStatusCode.OK);
            Assert.Contains("Publish", lifecycle["actions"]!.AsArray().Select(a => a!.GetValue<string>()));
            var published = await rest.ExpectAsync(HttpMethod.Post, $"api/publisher/apis/{id}/lifecycle", admin, new { action = "Publish" }, HttpStatusCode.OK);
            Assert.Equal("Published", published["state"]!.GetValue<string>());

            // Developer portal: application, keys, Gold subscription, client-credentials token.
            var app = await rest.ExpectAsync(HttpMethod.Post, "api/devportal/applications", admin, new { name = "TutorialApp" }, HttpStatusCode.Created);
            var appId = app["id"]!.GetValue<string>();
            var keys = await rest.ExpectAsync(HttpMethod.Post, $"api/devportal/applications/{appId}/keys", admin, new { keyType = "production" }, HttpStatusCode.Created);
            var sub = await rest.ExpectAsync(HttpMethod.Post, "api/devportal/subscriptions", admin, new { apiId = id, applicationId = appId, plan = "Gold" }, HttpStatusCode.Created);
            Assert.Equal(("Active", "Gold"), (sub["status"]!.GetValue<string>(), sub["plan"]!.GetValue<string>()));
            var token = await rest.ClientCredentialsTokenAsync(keys["consumerKey"]!.GetValue<string>(), keys["consumerSecret"]!.GetValue<string>());

            // The subscription is live when the request that made it has answered.
            using (var ws = await Gateway.ConnectAsync($"{server.GatewayBase}/echowebsocket/1.0.0", token))
            {
                await Gateway.AssertEchoAsync(ws, "hello from the tutorial on PostgreSQL");
                await Gateway.CloseQuietlyAsync(ws);
            }
            using (var ws = await Gateway.ConnectAsync($"{server.GatewayBase}/echowebsocket", token))
                await Gateway.AssertEchoAsync(ws, "hello default version");

            // The plans and the API are in PostgreSQL: a restart finds them, and the token still works (same signing key).
            await server.RestartAsync();
            var plans = await rest.ExpectAsync(HttpMethod.Get, "api/admin/plans", admin, null, HttpStatusCode.OK);
            Assert.Contains("Bronze", plans.ToJsonString());
            using (var ws = await Gateway.ConnectAsync($"{server.GatewayBase}/echowebsocket/1.0.0", token))
                await Gateway.AssertEchoAsync(ws, "hello after a restart");
        }
        finally
        {
            output.WriteLine(server.Log.Length > 20_000 ? "…" + server.Log[^20_000..] : server.Log);
        }
    }

    [Theory]
    [InlineData("unreachable", 1)]
    [InlineData("bad-keyword", 2)]
    [InlineData("wrong-user", 1)]
    public async Task A_store_that_cannot_be_used_stops_the_start_with_one_clear_line(string problem, int exitCode)
    {
        var secret = "Sup3r-secret-" + Guid.NewGuid().ToString("N")[..6];
        var store = problem switch
        {
            "unreachable" => $"Host=127.0.0.1;Port={FreePorts.Take()};Database=tollgate;Username=postgres;Password={secret};Timeout=3",
            "bad-keyword" => $"Host=127.0.0.1;Databse=tollgate;Password={secret}",
            _ => $"Host=127.0.0.1;Port={pg.Port};Database=postgres;Username=nobody_here;Password={secret}",
        };
        var data = Path.Combine(Path.GetTempPath(), "tollgate-badstore-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = FreePorts.Take(3);
        try
        {
            await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
            var result = await ChildProcess.RunAsync("dotnet",
                [RepoPaths.ServerDll, "--data", data, "--store", store, "--https-port", ports[0].ToString(), "--gateway-port", ports[1].ToString(),
                 "--gateway-tls-port", "0", "--echo-port", ports[2].ToString()],
                timeout: TimeSpan.FromSeconds(60));
            output.WriteLine(result.Output);
            Assert.Equal(exitCode, result.ExitCode);
            Assert.Contains("--store", result.StdErr);
            Assert.StartsWith("error: ", result.StdErr.TrimStart());
            Assert.DoesNotContain("   at ", result.StdErr + result.StdOut); // no stack trace
            Assert.DoesNotContain(secret, result.StdErr + result.StdOut); // the password is never shown
            Assert.DoesNotContain("Tollgate is ready", result.StdOut);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
