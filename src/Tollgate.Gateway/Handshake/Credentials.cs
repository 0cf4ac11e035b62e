using Microsoft.AspNetCore.Http;

namespace Tollgate.Gateway.Handshake;

/// <summary>Where the client's token came from; the gateway removes it before the backend sees the request.</summary>
public enum CredentialSource { None, AuthorizationHeader, QueryParameter }

public readonly record struct Credentials(string? Token, CredentialSource Source)
{
    public const string QueryParameterName = "access_token";

    /// <summary>Reads <c>Authorization: Bearer</c> first, then <c>?access_token=</c> (browsers cannot set headers on a WebSocket).</summary>
    public static Credentials Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return new Credentials(header[7..].Trim(), CredentialSource.AuthorizationHeader);
        if (request.Query.TryGetValue(QueryParameterName, out var q) && q.Count > 0 && !string.IsNullOrEmpty(q[0]))
            return new Credentials(q[0], CredentialSource.QueryParameter);
        return new Credentials(null, CredentialSource.None);
    }
}
