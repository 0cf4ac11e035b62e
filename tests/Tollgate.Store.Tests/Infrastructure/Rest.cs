using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Store.Tests.Infrastructure;

/// <summary>The REST API of one test server (docs/rest-api.md), as JSON nodes.</summary>
public sealed class Rest : IDisposable
{
    private readonly Uri _base;

    public Rest(TollgateServer server) : this(server.HttpsBase)
    {
    }

    public Rest(Uri baseAddress)
    {
        _base = baseAddress;
        var handler = new SocketsHttpHandler
        {
            // The server's certificate is self-signed; these servers are on loopback only.
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        Http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public void Dispose() => Http.Dispose();

    /// <summary>A user token by the password grant.</summary>
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

    public async Task<string> ClientCredentialsTokenAsync(string consumerKey, string consumerSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{consumerKey}:{consumerSecret}")));
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"client credentials grant: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    /// <summary>RFC 7009 revocation of <paramref name="token"/>, as its owner (or an admin).</summary>
    public async Task RevokeAsync(string bearer, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/revoke")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"revoke: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? bearer, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
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
        Assert.True(status == expected, $"{method} {path} on {_base}: expected {(int)expected}, got {(int)status}: {json?.ToJsonString()}");
        return json!;
    }
}
