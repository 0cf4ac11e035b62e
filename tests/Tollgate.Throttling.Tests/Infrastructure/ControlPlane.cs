using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests.Infrastructure;

/// <summary>REST client for the control plane of one test server, with the plan and subscription shortcuts the throttling tests use.</summary>
public sealed class ControlPlane(TollgateServer server) : JsonRest(server.HttpsBase)
{
    private readonly TollgateServer _server = server;

    public Task<string> AdminTokenAsync() => UserTokenAsync(_server.AdminUser, _server.AdminPassword);

    /// <summary>Creates a plan through <c>POST /api/admin/plans</c> (the issue's contract).</summary>
    public Task<JsonNode> CreatePlanAsync(string admin, object plan) =>
        ExpectAsync(HttpMethod.Post, "api/admin/plans", admin, plan, HttpStatusCode.Created);

    /// <summary>
    /// A published API on the echo backend offering <paramref name="plans"/>, an application with production keys,
    /// a subscription under <paramref name="plans"/>[0] and an application token.
    /// </summary>
    public async Task<Subscribed> SubscribeAsync(string admin, string[] plans, object? throttling = null, string? applicationPolicy = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var api = await ExpectAsync(HttpMethod.Post, "api/publisher/apis", admin, new
        {
            name = $"T{id}", context = $"/t{id}", version = "1.0.0",
            endpoint = new { production = _server.EchoEndpoint }, plans, publish = true, throttling,
        }, HttpStatusCode.Created);
        var apiId = api["id"]!.GetValue<string>();
        var app = await ExpectAsync(HttpMethod.Post, "api/devportal/applications", admin,
            new { name = $"A{id}", throttlingPolicy = applicationPolicy }, HttpStatusCode.Created);
        var appId = app["id"]!.GetValue<string>();
        await ExpectAsync(HttpMethod.Post, $"api/devportal/applications/{appId}/keys", admin, new { keyType = "production" }, HttpStatusCode.Created);
        var sub = await ExpectAsync(HttpMethod.Post, "api/devportal/subscriptions", admin,
            new { apiId, applicationId = appId, plan = plans[0] }, HttpStatusCode.Created);
        var token = await ExpectAsync(HttpMethod.Post, $"api/devportal/applications/{appId}/keys/production/token", admin, new { }, HttpStatusCode.OK);
        return new Subscribed(apiId, appId, sub["id"]!.GetValue<string>(), token["access_token"]!.GetValue<string>(),
            new Uri($"{_server.GatewayBase}/t{id}/1.0.0"), $"/t{id}/1.0.0");
    }
}

public sealed record Subscribed(string ApiId, string AppId, string SubscriptionId, string Token, Uri GatewayUrl, string Label);

/// <summary>One server for the whole test collection (startup costs seconds).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TollgateServer Server { get; } = new();
    public ControlPlane Client { get; private set; } = null!;
    public string Admin { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server.ExtraArgs.AddRange(["--analytics-flush-ms", "200"]); // analytics see throttling within a second
        await Server.StartAsync();
        Client = new ControlPlane(Server);
        Admin = await Client.AdminTokenAsync();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "Throttling server";
}

/// <summary>Writes what the server logged during a test to the test's output.</summary>
public abstract class ServerTest(ServerFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly int _logStart = fixture.Server.LogLength;

    protected TollgateServer Server => fixture.Server;
    protected ControlPlane Client => fixture.Client;
    protected string Admin => fixture.Admin;
    protected ITestOutputHelper Output => output;

    protected static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Waits until the server logged a line containing every one of <paramref name="parts"/>.</summary>
    protected async Task<string> WaitForLogAsync(TimeSpan timeout, params string[] parts)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = Server.LogSince(_logStart).Split('\n').FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null)
                return line;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"the server did not log a line with {string.Join(" and ", parts)} within {timeout.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        var log = Server.LogSince(_logStart);
        if (log.Length > 20_000) log = "…" + log[^20_000..];
        output.WriteLine("--- server output during this test ---");
        output.WriteLine(log);
        GC.SuppressFinalize(this);
    }
}
