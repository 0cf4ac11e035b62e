namespace Tollgate.Gateway.Backend;

/// <summary>Result of <see cref="BackendConnector.ConnectAsync"/>. Only an upgraded result carries a stream, which the caller then owns.</summary>
internal sealed class BackendHandshakeResult
{
    private BackendHandshakeResult(BackendOutcome outcome)
    {
        Outcome = outcome;
    }

    public BackendOutcome Outcome { get; }

    /// <summary>The backend's HTTP status: 101 when upgraded, its answer when refused (502 for a malformed one), 0 otherwise.</summary>
    public int StatusCode { get; private init; }

    /// <summary>The upgraded connection (NetworkStream or SslStream); null unless <see cref="BackendOutcome.Upgraded"/>.</summary>
    public Stream? Stream { get; private init; }

    /// <summary>Headers of the backend's response (for a 101: Sec-WebSocket-Accept, -Protocol, -Extensions, ...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; private init; } = [];

    /// <summary>Bytes read past the header block (early frames from the backend); they must be relayed before anything else.</summary>
    public ReadOnlyMemory<byte> Leftover { get; private init; }

    /// <summary>Human-readable cause when not upgraded.</summary>
    public string? Error { get; private init; }

    /// <summary>First value of a response header, matched case-insensitively.</summary>
    public string? GetHeader(string name)
    {
        var headers = ResponseHeaders;
        for (int i = 0; i < headers.Count; i++) // indexed: no boxed enumerator
        {
            if (string.Equals(headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return headers[i].Value;
            }
        }
        return null;
    }

    internal static BackendHandshakeResult Upgraded(Stream stream, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> leftover) =>
        new(BackendOutcome.Upgraded) { StatusCode = 101, Stream = stream, ResponseHeaders = headers, Leftover = leftover };

    internal static BackendHandshakeResult Refused(int statusCode, string error, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(BackendOutcome.Refused) { StatusCode = statusCode, Error = error, ResponseHeaders = headers ?? [] };

    internal static BackendHandshakeResult Unreachable(string error) =>
        new(BackendOutcome.Unreachable) { Error = error };

    internal static BackendHandshakeResult TimedOut(string error) =>
        new(BackendOutcome.TimedOut) { Error = error };
}
