using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Tollgate.Testing;

/// <summary>
/// The REST API of one test server (docs/rest-api.md) as JSON nodes: the password grant, any call, and a call that must
/// answer a given status. Test projects add their own shortcuts on top.
/// </summary>
public class JsonRest : IDisposable
{
    public JsonRest(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        var handler = new SocketsHttpHandler
        {
            // The server's certificate is self-signed; these servers are on loopback only.
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        Http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public void Dispose()
    {
        Http.Dispose();
        GC.SuppressFinalize(this);
    }

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

    /// <summary>Any call; a <see cref="JsonNode"/> body is sent as it is, any other object as JSON (web defaults).</summary>
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
        Assert.True(status == expected, $"{method} {path} on {BaseAddress}: expected {(int)expected}, got {(int)status}: {json?.ToJsonString()}");
        return json!;
    }
}
