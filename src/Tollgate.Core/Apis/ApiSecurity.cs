namespace Tollgate.Core.Apis;

/// <summary>
/// How a WebSocket API is secured before the upgrade. Tollgate's own OAuth2 token check, API keys,
/// and an external authorization URL (called with the client's credentials; only 200 allows) can be
/// combined: with OAuth2 or API keys on, the URL is asked after Tollgate's own check; with both off,
/// the URL alone decides.
/// </summary>
public sealed record ApiSecurity
{
    public const int DefaultAuthorizationTimeoutMs = 2000;

    public bool OAuth2 { get; init; } = true;
    public bool ApiKeys { get; init; }
    public string? AuthorizationUrl { get; init; }
    public int AuthorizationTimeoutMs { get; init; } = DefaultAuthorizationTimeoutMs;
    /// <summary>How long an answer of the authorization URL is reused for the same credential; 0 = ask every time.</summary>
    public int AuthorizationCacheSeconds { get; init; }
    /// <summary>Headers of the authorization URL's 200 answer that are added to the backend request (identity, scopes).</summary>
    public IReadOnlyList<string> AuthorizationResponseHeaders { get; init; } = [];
    /// <summary>Origins allowed to open connections (e.g. https://app.example.com); empty = any origin, for non-cookie credentials.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    /// <summary>Client headers not to pass to the backend (e.g. Cookie); by default every end-to-end header goes through unchanged.</summary>
    public IReadOnlyList<string> RemoveRequestHeaders { get; init; } = [];
    /// <summary>Pass the client's Origin header to the backend (default); off, the backend sees no Origin.</summary>
    public bool ForwardOrigin { get; init; } = true;
    /// <summary>Send the backend a short-lived JWT signed by Tollgate describing the caller (<c>X-Tollgate-Caller</c>).</summary>
    public bool CallerJwt { get; init; }
    /// <summary>Largest message a client may send to this API's backend, in bytes; 0 = the gateway's default (16 MiB). Over it: 1009.</summary>
    public long MaxMessageBytes { get; init; }

    public static readonly ApiSecurity Default = new();
}
