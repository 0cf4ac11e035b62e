namespace Tollgate.Gateway.Authorization;

/// <summary>What an API's authorization URL said: allow (with headers for the backend) or refuse with a status.</summary>
internal sealed record AuthorizationDecision(
    bool Allowed,
    int Status,
    string Message,
    IReadOnlyList<KeyValuePair<string, string>> BackendHeaders,
    string? WwwAuthenticate = null)
{
    public static AuthorizationDecision Allow(IReadOnlyList<KeyValuePair<string, string>> headers) => new(true, 200, "allowed", headers);

    public static AuthorizationDecision Refuse(int status, string message, string? wwwAuthenticate = null) =>
        new(false, status, message, [], wwwAuthenticate);
}
