using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Authorization;

/// <summary>
/// Asks an API's authorization URL before the upgrade (the "authentication URL" of API Connect and
/// DataPower): a GET carrying the client's credentials, the original request line and chosen headers.
/// 200 allows and may name headers for the backend; 400, 401 and 403 go back to the client as they are;
/// anything else, a time-out or an unreachable URL refuses with 503 and is logged.
/// </summary>
internal sealed class AuthorizationUrlClient(ILogger<AuthorizationUrlClient> logger) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxResponseHeadersLength = 32,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private readonly AuthorizationCache _cache = new();

    public async Task<AuthorizationDecision> AuthorizeAsync(ApiRoute route, HttpRequest request, Credentials credentials, Guid? applicationId, CancellationToken ct)
    {
        var security = route.Security;
        var cacheKey = CacheKey(route, credentials);
        if (security.AuthorizationCacheSeconds > 0 && _cache.TryGet(cacheKey, out var cached))
            return cached;

        var decision = await AskAsync(route, request, credentials, applicationId, ct);
        // Only real answers are cached; a failing authorization service is asked again next time.
        if (decision.Status is 200 or 400 or 401 or 403)
            _cache.Set(cacheKey, decision, TimeSpan.FromSeconds(security.AuthorizationCacheSeconds));
        return decision;
    }

    private async Task<AuthorizationDecision> AskAsync(ApiRoute route, HttpRequest request, Credentials credentials, Guid? applicationId, CancellationToken ct)
    {
        var security = route.Security;
        using var message = new HttpRequestMessage(HttpMethod.Get, security.AuthorizationUrl);
        if (credentials.RawAuthorization is { } raw)
            message.Headers.TryAddWithoutValidation("Authorization", raw);
        else if (credentials.Token is { } token && credentials.TokenSource != CredentialSource.Ticket)
            message.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        if (credentials.ApiKey is { } apiKey)
            message.Headers.TryAddWithoutValidation("apikey", apiKey);
        message.Headers.TryAddWithoutValidation("X-Original-Method", request.Method);
        message.Headers.TryAddWithoutValidation("X-Original-URI", request.Path + BackendRequestFactory.QueryWithoutCredentials(request.QueryString));
        message.Headers.TryAddWithoutValidation("X-Forwarded-For", request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "");
        message.Headers.TryAddWithoutValidation("X-Tollgate-Api", route.Label);
        if (applicationId is { } app)
            message.Headers.TryAddWithoutValidation("X-Tollgate-Application-Id", app.ToString());
        foreach (var name in (string[])["Origin", "User-Agent", "Host"])
            if (request.Headers.TryGetValue(name, out var value))
                message.Headers.TryAddWithoutValidation(name == "Host" ? "X-Forwarded-Host" : name, value.ToString());
        if (credentials.OfferedProtocols.Count > 0)
            message.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", string.Join(", ", credentials.OfferedProtocols));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(security.AuthorizationTimeoutMs);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.OK)
                return AuthorizationDecision.Allow(PassedHeaders(response, security.AuthorizationResponseHeaders));
            if (status is 400 or 401 or 403)
            {
                var challenge = response.Headers.WwwAuthenticate.ToString();
                return AuthorizationDecision.Refuse(status, $"The API's authorization service refused the connection (HTTP {status}).",
                    challenge.Length > 0 ? challenge : null);
            }
            logger.LogWarning("Authorization URL of {Api} answered {Status}: refusing with 503", route.Label, status);
            return AuthorizationDecision.Refuse(503, "The API's authorization service failed; try again later.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Authorization URL of {Api} did not answer within {Timeout} ms: refusing with 503", route.Label, security.AuthorizationTimeoutMs);
            return AuthorizationDecision.Refuse(503, "The API's authorization service did not answer in time; try again later.");
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("Authorization URL of {Api} is unreachable ({Error}): refusing with 503", route.Label, e.HttpRequestError);
            return AuthorizationDecision.Refuse(503, "The API's authorization service is unreachable; try again later.");
        }
    }

    private static List<KeyValuePair<string, string>> PassedHeaders(HttpResponseMessage response, IReadOnlyList<string> names)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in names)
            if (response.Headers.TryGetValues(name, out var values))
                foreach (var value in values)
                    headers.Add(new(name, value));
        return headers;
    }

    /// <summary>Per API and credential, hashed so no credential sits in memory as a key.</summary>
    private static string CacheKey(ApiRoute route, Credentials c)
    {
        var material = $"{route.ApiId}\n{c.RawAuthorization}\n{c.Token}\n{c.ApiKey}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
    }

    public void Dispose() => _http.Dispose();
}
