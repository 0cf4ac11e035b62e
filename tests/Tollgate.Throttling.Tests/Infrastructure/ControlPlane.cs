using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Tollgate.Throttling.Tests.Infrastructure;

/// <summary>REST client for the control plane of one test server (docs/rest-api.md), as JSON nodes.</summary>
public sealed class ControlPlane : IDisposable
{
    private readonly TollgateServer _server;

    public ControlPlane(TollgateServer server)
    {
        _server = server;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // The server's certificate is self-signed; these servers are on loopback only.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        Http = new HttpClient(handler) { BaseAddress = server.HttpsBase, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public void Dispose() => Http.Dispose();

    public async Task<string> UserTokenAsync(string user, string password)
    {
        using var response = await Http.PostAsync("oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user, ["password"] = password,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"password grant for {user}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    public Task<string> AdminTokenAsync() => UserTokenAsync(_server.AdminUser, _server.AdminPassword);

    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? bearer, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null)
            request.Content = body is JsonNode node
                ? new StringContent(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json")
                : JsonContent.Create(body, body.GetType(), options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0)
        {
            try { json = JsonNode.Parse(text); } catch (JsonException) { json = JsonValue.Create(text); }
        }
        return (response.StatusCode, json);
    }

    public async Task<JsonNode> ExpectAsync(HttpMethod method, string path, string? bearer, object? body, HttpStatusCode expected)
    {
        var (status, json) = await SendAsync(method, path, bearer, body);
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status}: {json?.ToJsonString()}");
        return json!;
    }

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
