using System.Text.RegularExpressions;
using Tollgate.Core.Apis;

namespace Tollgate.Core.Validation;

public static partial class ApiSecurityValidator
{
    public const int MaxOrigins = 50;

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$")]
    private static partial Regex HeaderName();

    public static ValidationErrors Validate(ApiSecurity s)
    {
        var errors = new ValidationErrors();
        if (!s.OAuth2 && !s.ApiKeys && string.IsNullOrWhiteSpace(s.AuthorizationUrl))
            errors.Add("security", "Choose how clients prove who they are: OAuth2 tokens, API keys, or an authorization URL.");
        if (!string.IsNullOrWhiteSpace(s.AuthorizationUrl))
        {
            if (!Uri.TryCreate(s.AuthorizationUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add("security.authorizationUrl", $"'{s.AuthorizationUrl}' is not an absolute http:// or https:// URL.");
            else if (!string.IsNullOrEmpty(uri.UserInfo))
                errors.Add("security.authorizationUrl", "The authorization URL must not contain a user name or password.");
        }
        if (s.AuthorizationTimeoutMs is < 100 or > 30_000)
            errors.Add("security.authorizationTimeoutMs", "The authorization time-out must be from 100 to 30000 milliseconds.");
        if (s.AuthorizationCacheSeconds is < 0 or > 3600)
            errors.Add("security.authorizationCacheSeconds", "Decisions can be cached from 0 (never) to 3600 seconds.");
        foreach (var header in s.AuthorizationResponseHeaders.Where(h => !HeaderName().IsMatch(h ?? "")))
            errors.Add("security.authorizationResponseHeaders", $"'{header}' is not a valid header name.");
        if (s.MaxMessageBytes is < 0 or > 1L << 30)
            errors.Add("security.maxMessageBytes", "The maximum message size must be from 0 (the gateway's default) to 1073741824 bytes (1 GiB).");
        if (s.RemoveRequestHeaders.Count > 50)
            errors.Add("security.removeRequestHeaders", "Too many headers: keep it to 50.");
        foreach (var header in s.RemoveRequestHeaders.Where(h => !HeaderName().IsMatch(h ?? "")))
            errors.Add("security.removeRequestHeaders", $"'{header}' is not a valid header name.");
        if (s.AllowedOrigins.Count > MaxOrigins)
            errors.Add("security.allowedOrigins", $"Too many origins: keep it to {MaxOrigins}.");
        foreach (var origin in s.AllowedOrigins.Where(o => !IsOrigin(o)))
            errors.Add("security.allowedOrigins", $"'{origin}' is not an origin: use scheme://host[:port], e.g. https://app.example.com.");
        return errors;
    }

    /// <summary>An origin is scheme://host[:port] with nothing after it (RFC 6454).</summary>
    public static bool IsOrigin(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri))
            return false;
        var afterScheme = origin.Trim().TrimEnd('/')[(uri.Scheme.Length + 3)..];
        return uri.Scheme is "http" or "https" && !afterScheme.Contains('/') && !afterScheme.Contains('?')
            && !afterScheme.Contains('#') && string.IsNullOrEmpty(uri.UserInfo);
    }

    /// <summary>The form browsers send in the Origin header: lower case, default port omitted.</summary>
    public static string NormalizeOrigin(string origin) =>
        Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant() : origin.Trim().ToLowerInvariant();
}
