using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Tollgate.Gateway.Http;

namespace Tollgate.Gateway.Backend;

/// <summary>
/// Opens a connection to a WebSocket backend and performs the HTTP/1.1 upgrade by hand, so the gateway
/// gets the raw stream (frames are relayed, never re-encoded) and the backend's 101 headers to pass on.
/// Thread-safe; one instance can serve all connections.
/// </summary>
internal sealed class BackendConnector(BackendOptions? options = null) : IBackendDialer
{
    private readonly BackendOptions _options = options ?? new BackendOptions();

    public BackendOptions Options => _options;

    /// <summary>Connects and upgrades. Throws <see cref="OperationCanceledException"/> only when <paramref name="ct"/> is cancelled.</summary>
    public async Task<BackendHandshakeResult> ConnectAsync(BackendRequest request, TimeSpan connectTimeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var endpoint = request.Endpoint;
        bool tls = endpoint.Scheme is "wss" or "https";
        if (!tls && endpoint.Scheme is not ("ws" or "http"))
        {
            throw new ArgumentException($"unsupported backend scheme '{endpoint.Scheme}'", nameof(request));
        }
        int port = endpoint.Port > 0 ? endpoint.Port : tls ? 443 : 80;
        // Built before connecting so a bad header fails fast, without a half-open backend connection.
        byte[] requestHead = BuildRequestHead(request, endpoint, port, tls);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(connectTimeout);
        // An address literal (the usual backend on a private network) connects on a socket of its own family, without the
        // name-resolution path and the dual-mode option a name needs.
        var address = IPAddress.TryParse(endpoint.IdnHost, out var parsed) ? parsed : null;
        var socket = address is null ? new Socket(SocketType.Stream, ProtocolType.Tcp) : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        Stream? stream = null;
        try
        {
            try
            {
                await (address is null
                    ? socket.ConnectAsync(endpoint.IdnHost, port, timeout.Token)
                    : socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token)).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return Fail(BackendHandshakeResult.Unreachable($"cannot connect to {endpoint.IdnHost}:{port}: {e.SocketErrorCode}"));
            }
            stream = new NetworkStream(socket, ownsSocket: true);
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = endpoint.IdnHost,
                        // The raw upgrade is HTTP/1.1 only; say so, so the backend does not pick h2.
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                        RemoteCertificateValidationCallback = _options.AcceptAnyBackendCertificate ? static (_, _, _, _) => true : null,
                    }, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    return Fail(BackendHandshakeResult.Unreachable($"TLS handshake with {endpoint.IdnHost}:{port} failed: {e.Message}"));
                }
            }

            await stream.WriteAsync(requestHead, timeout.Token).ConfigureAwait(false);
            var result = await ReadResponseAsync(stream, timeout.Token).ConfigureAwait(false);
            if (result.Outcome != BackendOutcome.Upgraded)
            {
                return Fail(result);
            }
            return result;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Fail(BackendHandshakeResult.TimedOut($"backend {endpoint.IdnHost}:{port} did not complete the handshake within {connectTimeout.TotalMilliseconds:0} ms"));
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return Fail(BackendHandshakeResult.Refused(502, $"backend {endpoint.IdnHost}:{port} failed during the handshake: {e.Message}"));
        }
        catch
        {
            Dispose();
            throw;
        }

        BackendHandshakeResult Fail(BackendHandshakeResult r)
        {
            Dispose();
            return r;
        }

        void Dispose()
        {
            if (stream is not null)
            {
                stream.Dispose();
            }
            else
            {
                socket.Dispose();
            }
        }

        // The upgraded stream goes into the result; the local helpers above only run on failure paths.
        async Task<BackendHandshakeResult> ReadResponseAsync(Stream s, CancellationToken token)
        {
            // Pooled: a fresh 16 KiB array per connect was zeroed and collected on every handshake.
            byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(_options.MaxResponseHeaderBytes);
            try
            {
                return await ReadHeadAsync(s, rented.AsMemory(0, _options.MaxResponseHeaderBytes), token).ConfigureAwait(false);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        static async Task<BackendHandshakeResult> ReadHeadAsync(Stream s, Memory<byte> buffer, CancellationToken token)
        {
            int filled = 0;
            BackendHandshakeResult? result;
            while ((result = Interpret(buffer.Span, filled, s)) is null)
            {
                int n = await s.ReadAsync(buffer[filled..], token).ConfigureAwait(false);
                if (n == 0)
                {
                    return ConnectionEnded;
                }
                filled += n;
            }
            return result;
        }
    }

    /// <summary>What the backend answers when it closes before its response head is complete.</summary>
    internal static BackendHandshakeResult ConnectionEnded => BackendHandshakeResult.Refused(502, "backend closed the connection before answering the upgrade");

    /// <summary>
    /// The backend's answer once <paramref name="buffer"/>[..<paramref name="filled"/>] holds its whole response head; null
    /// while more is needed. Upgraded only for a 101 that confirms the websocket upgrade (RFC 6455 4.1); bytes past the
    /// head become the result's leftover.
    /// </summary>
    internal static BackendHandshakeResult? Interpret(ReadOnlySpan<byte> buffer, int filled, Stream stream)
    {
        int headEnd = HttpResponseHead.FindEnd(buffer[..filled]);
        if (headEnd < 0)
        {
            return filled == buffer.Length ? BackendHandshakeResult.Refused(502, $"backend response header exceeds {buffer.Length} bytes") : null;
        }
        if (!HttpResponseHead.TryParse(buffer[..(headEnd - 4)], out int status, out var headers, out string? error))
        {
            return BackendHandshakeResult.Refused(502, error!);
        }
        if (status != 101)
        {
            return BackendHandshakeResult.Refused(status, $"backend answered {status} instead of 101", headers);
        }
        // RFC 6455 4.1: a client must fail the connection unless the 101 confirms the websocket upgrade.
        var upgrade = Find(headers, "Upgrade");
        var connection = Find(headers, "Connection");
        if (upgrade is null || !upgrade.AsSpan().Trim().Equals("websocket", StringComparison.OrdinalIgnoreCase)
            || connection is null || !HeaderText.HasToken(connection, "upgrade"))
        {
            return BackendHandshakeResult.Refused(502, "backend answered 101 without 'Upgrade: websocket' and 'Connection: Upgrade'", headers);
        }
        var leftover = filled > headEnd ? buffer[headEnd..filled].ToArray() : ReadOnlyMemory<byte>.Empty;
        return BackendHandshakeResult.Upgraded(stream, headers, leftover);
    }

    internal static byte[] BuildRequestHead(BackendRequest request, Uri endpoint, int port, bool tls)
    {
        string target = string.IsNullOrEmpty(request.PathAndQuery) ? "/" : request.PathAndQuery;
        CheckToken(target, "request target", allowSpace: false);
        bool defaultPort = port == (tls ? 443 : 80);
        // Uri.Host keeps the brackets of an IPv6 literal, as the Host header needs them.

        var head = new HeadBytes(1024);
        head.Append("GET "u8);
        head.Append(target);
        head.Append(" HTTP/1.1\r\nHost: "u8);
        head.Append(endpoint.Host);
        if (!defaultPort)
        {
            head.Append(":"u8);
            head.Append(port);
        }
        head.Append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"u8);
        var headers = request.Headers;
        for (int i = 0; i < headers.Count; i++) // indexed: no boxed enumerator per handshake
        {
            var (name, value) = headers[i];
            if (IsConnectorOwned(name))
            {
                continue;
            }
            CheckToken(name, "header name", allowSpace: false);
            CheckToken(value, name, allowSpace: true, isValue: true);
            head.Header(name, value);
        }
        head.Append("\r\n"u8);
        return head.ToArray();
    }

    // Hop-by-hop headers and the ones this connector writes itself; never taken from the caller.
    private static bool IsConnectorOwned(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase);

    // Guards against request splitting: CR, LF or other control characters must never reach the wire.
    // The message is made only on failure (for a value, "what" is the header's name).
    private static void CheckToken(string s, string what, bool allowSpace, bool isValue = false)
    {
        if (s.Length == 0 && !allowSpace)
        {
            throw new ArgumentException($"empty {what}");
        }
        foreach (char c in s)
        {
            if (c < 0x20 && !(allowSpace && c == '\t') || c == 0x7F || c > 0xFF || (!allowSpace && c == ' '))
            {
                throw new ArgumentException(isValue ? $"invalid character in value of header '{what}'" : $"invalid character in {what}");
            }
        }
    }

    private static string? Find(List<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var (key, value) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }
}
