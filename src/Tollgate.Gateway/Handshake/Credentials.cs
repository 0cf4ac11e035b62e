using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Tollgate.Gateway.Handshake;

/// <summary>Where a credential came from; all of them are removed before the request goes to the backend.</summary>
public enum CredentialSource { None, AuthorizationHeader, SubProtocol, QueryParameter, Ticket, ApiKeyHeader, ApiKeyQuery }

/// <summary>
/// The credentials a client presented, read from every place browsers and other clients can use:
/// <c>Authorization: Bearer</c>, a <c>tollgate.bearer.&lt;token&gt;</c> subprotocol entry, <c>?access_token=</c>,
/// a single-use <c>?ticket=</c>, and an API key as <c>apikey</c>/<c>X-API-Key</c> header or <c>?apikey=</c>.
/// The token is kept as the span of the text it came in (<see cref="TokenText"/>); <see cref="Token"/> makes its own string
/// only when asked, so a token the gateway has already validated is looked up without a copy.
/// </summary>
public sealed record Credentials(
    ReadOnlyMemory<char> TokenText,
    CredentialSource TokenSource,
    string? ApiKey,
    CredentialSource ApiKeySource,
    string? RawAuthorization,
    IReadOnlyList<string> OfferedProtocols,
    string? TokenProtocolEntry)
{
    public const string QueryParameterName = "access_token";
    public const string TicketParameterName = "ticket";
    public const string SubProtocolPrefix = "tollgate.bearer.";

    /// <summary>Query parameters that carry credentials; never forwarded, never logged.</summary>
    public static readonly string[] CredentialQueryParameters = [QueryParameterName, TicketParameterName, "apikey", "api_key"];

    /// <summary>Headers that carry credentials; never forwarded.</summary>
    public static readonly string[] CredentialHeaders = ["Authorization", "apikey", "X-API-Key"];

    private string? _token;

    /// <summary>The access token or ticket, if one was presented.</summary>
    public string? Token => TokenSource == CredentialSource.None ? null : _token ??= AsString(TokenText);

    public bool HasToken => TokenSource != CredentialSource.None;

    public bool HasAny => HasToken || ApiKey is not null || RawAuthorization is not null;

    public static Credentials Read(HttpRequest request)
    {
        var token = ReadOnlyMemory<char>.Empty;
        var tokenSource = CredentialSource.None;
        var rawAuthorization = request.Headers.Authorization.ToString();
        if (rawAuthorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            (token, tokenSource) = (rawAuthorization.AsMemory(7).Trim(), CredentialSource.AuthorizationHeader);

        var (offered, protocolEntry) = SplitProtocols(request.Headers.SecWebSocketProtocol);
        // Parsed (and its feature made) only when the request has a query.
        var query = request.QueryString.HasValue ? request.Query : null;
        if (tokenSource == CredentialSource.None && protocolEntry is not null)
            (token, tokenSource) = (protocolEntry.AsMemory(SubProtocolPrefix.Length), CredentialSource.SubProtocol);
        if (tokenSource == CredentialSource.None && First(query, QueryParameterName) is { } queryToken)
            (token, tokenSource) = (queryToken.AsMemory(), CredentialSource.QueryParameter);
        if (tokenSource == CredentialSource.None && First(query, TicketParameterName) is { } ticket)
            (token, tokenSource) = (ticket.AsMemory(), CredentialSource.Ticket);

        string? apiKey = null;
        var apiKeySource = CredentialSource.None;
        if ((FirstHeader(request, "apikey") ?? FirstHeader(request, "X-API-Key")) is { } headerKey)
            (apiKey, apiKeySource) = (headerKey, CredentialSource.ApiKeyHeader);
        else if ((First(query, "apikey") ?? First(query, "api_key")) is { } queryKey)
            (apiKey, apiKeySource) = (queryKey, CredentialSource.ApiKeyQuery);

        return new Credentials(token, tokenSource, apiKey, apiKeySource,
            rawAuthorization.Length > 0 ? rawAuthorization : null, offered, protocolEntry);
    }

    /// <summary>Splits the offered subprotocols, taking out a token entry so it never reaches the backend.</summary>
    private static (IReadOnlyList<string> Offered, string? TokenEntry) SplitProtocols(StringValues header)
    {
        if (StringValues.IsNullOrEmpty(header))
            return ([], null);
        var offered = new List<string>();
        string? tokenEntry = null;
        foreach (var value in header)
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (part.StartsWith(SubProtocolPrefix, StringComparison.Ordinal) && part.Length > SubProtocolPrefix.Length)
                    tokenEntry ??= part;
                else
                    offered.Add(part);
            }
        return (offered, tokenEntry);
    }

    /// <summary>The text as a string: the whole string it is, without a copy, or a copy of the part.</summary>
    private static string AsString(ReadOnlyMemory<char> text) =>
        MemoryMarshal.TryGetString(text, out var whole, out var start, out var length) && start == 0 && length == whole.Length ? whole : text.ToString();

    private static string? First(IQueryCollection? query, string name) =>
        query is not null && query.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    private static string? FirstHeader(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? v[0]!.Trim() : null;
}
