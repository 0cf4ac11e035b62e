namespace Tollgate.Gateway.Handshake;

/// <summary>Why a handshake was refused: the HTTP status, a reason label for logs and metrics, and a message for the client.</summary>
public sealed record Refusal(int Status, string Reason, string Message, string? WwwAuthenticate = null, int? RetryAfterSeconds = null)
{
    /// <summary>A connection limit or a spent quota: 429 with <c>Retry-After</c>.</summary>
    public static Refusal TooManyRequests(string message, int retryAfterSeconds) =>
        new(429, "throttled", message, RetryAfterSeconds: Math.Max(1, retryAfterSeconds));
    public static Refusal NotFound(string message) => new(404, "not_found", message);
    public static Refusal Unavailable(string message) => new(503, "unavailable", message);
    public static Refusal Unauthorized(string message, string? error = null) =>
        new(401, "unauthorized", message,
            error is null ? "Bearer realm=\"tollgate\"" : $"Bearer realm=\"tollgate\", error=\"{error}\", error_description=\"{message.Replace("\"", "'")}\"");
    public static Refusal Forbidden(string message) => new(403, "forbidden", message);
    public static Refusal BadGateway(string message) => new(502, "backend_unreachable", message);
    public static Refusal GatewayTimeout(string message) => new(504, "backend_timeout", message);
}
