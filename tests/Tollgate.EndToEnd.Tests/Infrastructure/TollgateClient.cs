using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text;
using System.Text.Json;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>HTTP client for the control plane (REST API and OAuth2 endpoints) of one test server.</summary>
public sealed class TollgateClient : IDisposable
{
    private readonly TollgateServer _server;

    public TollgateClient(TollgateServer server)
    {
        _server = server;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                // The server's certificate is self-signed: accept it for loopback servers only.
                RemoteCertificateValidationCallback = (_, _, _, errors) =>
                    errors == SslPolicyErrors.None || server.HttpsBase.IsLoopback,
            },
        };
        Http = new HttpClient(handler) { BaseAddress = server.HttpsBase, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public void Dispose() => Http.Dispose();

    // ---------------------------------------------------------------- OAuth2

    public Task<HttpResponseMessage> PostTokenRawAsync(IDictionary<string, string> form, AuthenticationHeaderValue? auth = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = auth;
        return Http.SendAsync(request);
    }

    public async Task<TokenResponse> GetUserTokenAsync(string user, string password)
    {
        using var response = await PostTokenRawAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = user,
            ["password"] = password,
        });
        return await ReadTokenAsync(response, $"password grant for '{user}'");
    }

    public Task<TokenResponse> GetAdminTokenAsync() => GetUserTokenAsync(_server.AdminUser, _server.AdminPassword);

    public async Task<TokenResponse> GetClientCredentialsTokenAsync(string consumerKey, string consumerSecret)
    {
        using var response = await PostTokenRawAsync(
            new Dictionary<string, string> { ["grant_type"] = "client_credentials" },
            Basic(consumerKey, consumerSecret));
        return await ReadTokenAsync(response, "client_credentials grant");
    }

    public async Task<HttpResponseMessage> RefreshRawAsync(string refreshToken) =>
        await PostTokenRawAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        });

    public static async Task<TokenResponse> ReadTokenAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{what}: expected 200 from POST /oauth2/token, got {(int)response.StatusCode}: {body}");
        var token = JsonSerializer.Deserialize<TokenResponse>(body, Json.Options);
        Assert.True(token is { AccessToken.Length: > 0 }, $"{what}: no access_token in {body}");
        Assert.Equal("bearer", token!.TokenType.ToLowerInvariant());
        return token;
    }

    public async Task<JsonElement> IntrospectAsync(string token, AuthenticationHeaderValue callerAuth)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/introspect")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        request.Headers.Authorization = callerAuth;
        using var response = await Http.SendAsync(request);
        return await ExpectJsonAsync(response, HttpStatusCode.OK, "POST /oauth2/introspect");
    }

    public async Task RevokeAsync(string token, AuthenticationHeaderValue callerAuth, string? hint = null)
    {
        var form = new Dictionary<string, string> { ["token"] = token };
        if (hint is not null) form["token_type_hint"] = hint;
        var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/revoke") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = callerAuth;
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"POST /oauth2/revoke: expected 200 (RFC 7009), got {(int)response.StatusCode}: {body}");
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    // ---------------------------------------------------------------- raw REST

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? bearer, object? body = null)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (bearer is not null) request.Headers.Authorization = Bearer(bearer);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json.Options);
        return await Http.SendAsync(request);
    }

    public async Task<T> SendExpectAsync<T>(HttpMethod method, string path, string? bearer, object? body, HttpStatusCode expected)
    {
        using var response = await SendAsync(method, path, bearer, body);
        var json = await ExpectJsonAsync(response, expected, $"{method} {path}");
        return json.Deserialize<T>(Json.Options)!;
    }

    public static async Task<JsonElement> ExpectJsonAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{what}: expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {body}");
        try
        {
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"{what}: the answer is not JSON ({e.Message}): {body}");
        }
    }

    // ---------------------------------------------------------------- publisher

    public Task<ApiDto> CreateApiAsync(string bearer, CreateApiRequest request) =>
        SendExpectAsync<ApiDto>(HttpMethod.Post, "api/publisher/apis", bearer, request, HttpStatusCode.Created);

    public Task<ApiDto> GetApiAsync(string bearer, string apiId) =>
        SendExpectAsync<ApiDto>(HttpMethod.Get, $"api/publisher/apis/{apiId}", bearer, null, HttpStatusCode.OK);

    public Task<ApiDto> ChangeLifecycleAsync(string bearer, string apiId, string action) =>
        SendExpectAsync<ApiDto>(HttpMethod.Post, $"api/publisher/apis/{apiId}/lifecycle", bearer, new { action }, HttpStatusCode.OK);

    public Task<LifecycleDto> GetLifecycleAsync(string bearer, string apiId) =>
        SendExpectAsync<LifecycleDto>(HttpMethod.Get, $"api/publisher/apis/{apiId}/lifecycle", bearer, null, HttpStatusCode.OK);

    public Task<ListDto<PlanDto>> GetPlansAsync(string bearer) =>
        SendExpectAsync<ListDto<PlanDto>>(HttpMethod.Get, "api/publisher/plans", bearer, null, HttpStatusCode.OK);

    // ---------------------------------------------------------------- developer portal

    public Task<ApplicationDto> CreateApplicationAsync(string bearer, string name, string? description = null) =>
        SendExpectAsync<ApplicationDto>(HttpMethod.Post, "api/devportal/applications", bearer, new { name, description }, HttpStatusCode.Created);

    public Task<ApplicationDto> GetApplicationAsync(string bearer, string appId) =>
        SendExpectAsync<ApplicationDto>(HttpMethod.Get, $"api/devportal/applications/{appId}", bearer, null, HttpStatusCode.OK);

    public Task<KeyDto> GenerateKeysAsync(string bearer, string appId, string keyType = "production") =>
        SendExpectAsync<KeyDto>(HttpMethod.Post, $"api/devportal/applications/{appId}/keys", bearer, new { keyType }, HttpStatusCode.Created);

    public Task<ListDto<KeyDto>> GetKeysAsync(string bearer, string appId) =>
        SendExpectAsync<ListDto<KeyDto>>(HttpMethod.Get, $"api/devportal/applications/{appId}/keys", bearer, null, HttpStatusCode.OK);

    public Task<TokenResponse> GetApplicationTokenAsync(string bearer, string appId, string keyType = "production", int? validitySeconds = null) =>
        SendExpectAsync<TokenResponse>(HttpMethod.Post, $"api/devportal/applications/{appId}/keys/{keyType}/token", bearer,
            validitySeconds is null ? new { } : new { validitySeconds }, HttpStatusCode.OK);

    public Task<SubscriptionDto> SubscribeAsync(string bearer, string apiId, string appId, string plan) =>
        SendExpectAsync<SubscriptionDto>(HttpMethod.Post, "api/devportal/subscriptions", bearer,
            new { apiId, applicationId = appId, plan }, HttpStatusCode.Created);

    public Task<ListDto<SubscriptionDto>> GetSubscriptionsAsync(string bearer, string appId) =>
        SendExpectAsync<ListDto<SubscriptionDto>>(HttpMethod.Get, $"api/devportal/subscriptions?applicationId={Uri.EscapeDataString(appId)}", bearer, null, HttpStatusCode.OK);

    public async Task UnsubscribeAsync(string bearer, string subscriptionId)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"api/devportal/subscriptions/{subscriptionId}", bearer);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NoContent,
            $"DELETE /api/devportal/subscriptions/{subscriptionId}: expected 204, got {(int)response.StatusCode}: {body}");
    }

    // ---------------------------------------------------------------- admin

    public async Task CreateUserAsync(string bearer, string username, string password, params string[] roles)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/admin/users", bearer, new { username, password, roles });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"POST /api/admin/users: expected 201, got {(int)response.StatusCode}: {body}");
    }
}
