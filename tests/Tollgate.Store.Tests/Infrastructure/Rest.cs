using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Store.Tests.Infrastructure;

/// <summary>The REST API of one test server with the grants and revocation the store tests use.</summary>
public sealed class Rest(Uri baseAddress) : JsonRest(baseAddress)
{
    public Rest(TollgateServer server) : this(server.HttpsBase)
    {
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
}
