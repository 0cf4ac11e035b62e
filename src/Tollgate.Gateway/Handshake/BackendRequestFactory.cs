using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>
/// Builds the backend's upgrade request from the client's: the rest of the path and the query
/// (minus the client's credentials), and the end-to-end headers unchanged (Origin included),
/// so subprotocols, extensions and custom headers reach the backend as the client sent them.
/// </summary>
internal static class BackendRequestFactory
{
    // Hop-by-hop headers (RFC 9110 §7.6.1), the ones the connector writes itself, and credentials.
    private static readonly HashSet<string> NotForwarded = new(
        ["Host", "Connection", "Upgrade", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
         "TE", "Trailer", "Transfer-Encoding", "Content-Length", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
         "Sec-WebSocket-Protocol", .. Credentials.CredentialHeaders],
        StringComparer.OrdinalIgnoreCase);

    public const string IdentityHeaderPrefix = "X-Tollgate-";

    public static BackendRequest Create(HttpContext http, ApiRoute route, Uri endpoint, string rest, Credentials credentials, ConnectionIdentity identity,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders, string? callerToken = null)
    {
        var headers = new List<KeyValuePair<string, string>>(http.Request.Headers.Count + 8);
        if (http.Request.Headers is HeaderDictionary plain)
        {
            foreach (var (name, values) in plain) // its struct enumerator: no boxed one per handshake
                Forward(headers, route, name, values);
        }
        else
        {
            foreach (var (name, values) in http.Request.Headers)
                Forward(headers, route, name, values);
        }
        // The client's subprotocols, without a tollgate.bearer.<token> entry.
        if (credentials.OfferedProtocols.Count > 0)
            headers.Add(new("Sec-WebSocket-Protocol", string.Join(", ", credentials.OfferedProtocols)));
        var clientAddress = http.Connection.RemoteIpAddress?.ToString() ?? "";
        var priorForwardedFor = http.Request.Headers["X-Forwarded-For"].ToString();
        headers.Add(new("X-Forwarded-For", priorForwardedFor.Length > 0 ? $"{priorForwardedFor}, {clientAddress}" : clientAddress));
        headers.Add(new("X-Forwarded-Proto", http.Request.IsHttps ? "wss" : "ws"));
        headers.Add(new("X-Forwarded-Host", http.Request.Host.Value ?? ""));
        // Who is calling, so the backend need not parse the token (clients cannot forge these: theirs are dropped above).
        if (identity.Kind != CredentialKind.External)
        {
            headers.Add(new(IdentityHeaderPrefix + "Application-Id", identity.ApplicationId.ToString()));
            headers.Add(new(IdentityHeaderPrefix + "Subscriber", identity.Subscriber));
            headers.Add(new(IdentityHeaderPrefix + "Key-Type", identity.KeyType == Core.Applications.KeyType.Sandbox ? "sandbox" : "production"));
            if (identity.Subscription is { } grant)
                headers.Add(new(IdentityHeaderPrefix + "Plan", grant.Plan));
        }
        if (callerToken is not null)
            headers.Add(new(CallerTokens.HeaderName, callerToken));
        headers.AddRange(extraHeaders);
        return new BackendRequest(endpoint, PathAndQuery(endpoint, rest, http.Request.QueryString), headers);
    }

    /// <summary>One of the client's headers, unless it is hop-by-hop, a credential, an identity header or one the API removes.</summary>
    private static void Forward(List<KeyValuePair<string, string>> headers, ApiRoute route, string name, StringValues values)
    {
        if (NotForwarded.Contains(name) || name.StartsWith(IdentityHeaderPrefix, StringComparison.OrdinalIgnoreCase) || IsRemovedByApi(route, name))
            return;
        foreach (var value in values)
            if (value is not null)
                headers.Add(new(name, value));
    }

    /// <summary>The API's own choices: headers it does not want, and whether its backend sees the client's Origin.</summary>
    private static bool IsRemovedByApi(ApiRoute route, string name) =>
        (!route.Security.ForwardOrigin && name.Equals("Origin", StringComparison.OrdinalIgnoreCase))
        || route.Security.RemoveRequestHeaders.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Endpoint path + rest of the client's path, then the endpoint's query and the client's query without credentials.</summary>
    internal static string PathAndQuery(Uri endpoint, string rest, QueryString clientQuery)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/') + rest;
        if (path.Length == 0)
            path = "/";
        var query = new StringBuilder(endpoint.Query.TrimStart('?'));
        var clientPart = QueryWithoutCredentials(clientQuery).TrimStart('?');
        if (clientPart.Length > 0)
        {
            if (query.Length > 0)
                query.Append('&');
            query.Append(clientPart);
        }
        return query.Length > 0 ? $"{path}?{query}" : path;
    }

    /// <summary>The query string without <c>access_token</c>, <c>ticket</c> or API key parameters, as it was otherwise written.</summary>
    internal static string QueryWithoutCredentials(QueryString clientQuery)
    {
        if (!clientQuery.HasValue)
            return "";
        var kept = new StringBuilder();
        foreach (var pair in clientQuery.Value!.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = Uri.UnescapeDataString(pair.Split('=', 2)[0]);
            if (Credentials.CredentialQueryParameters.Contains(name, StringComparer.OrdinalIgnoreCase))
                continue;
            kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
        }
        return kept.ToString();
    }
}
