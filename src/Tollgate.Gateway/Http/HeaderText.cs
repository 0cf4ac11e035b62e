using System.Text;

namespace Tollgate.Gateway.Http;

/// <summary>
/// The header names and values every WebSocket upgrade repeats, as shared strings: parsing a request or a backend's 101
/// makes no new string for them. A known name matches in any case and takes its usual spelling (header names are
/// case-insensitive); a value matches only exactly.
/// </summary>
internal static class HeaderText
{
    private static readonly string[] Names =
    [
        "Host", "Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Accept", "Authorization", "User-Agent", "Origin", "Cookie", "Accept-Encoding", "Accept-Language", "Cache-Control",
        "Pragma", "Date", "Server", "Content-Length", "Content-Type", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
    ];

    private static readonly string[] Values = ["websocket", "Upgrade", "upgrade", "13", "keep-alive, Upgrade", "Keep-Alive, Upgrade", "no-cache"];

    public static string Name(ReadOnlySpan<byte> name)
    {
        foreach (var known in Names)
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
                return known;
        return Encoding.ASCII.GetString(name);
    }

    public static string Value(ReadOnlySpan<byte> value)
    {
        foreach (var known in Values)
            if (known.Length == value.Length && Ascii.Equals(value, known))
                return known;
        return Encoding.Latin1.GetString(value);
    }

    /// <summary>A request header's value: the credential header's through <see cref="RecentHeaderValues"/>, so a reconnecting client's token is not copied again.</summary>
    public static string Value(string name, ReadOnlySpan<byte> value) =>
        ReferenceEquals(name, "Authorization") ? RecentHeaderValues.Get(value) : Value(value);

    /// <summary>Whether a comma-separated header value (<c>Connection: keep-alive, Upgrade</c>) lists <paramref name="token"/>, in any case.</summary>
    public static bool HasToken(string list, string token)
    {
        foreach (var range in list.AsSpan().Split(','))
            if (list.AsSpan()[range].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}
