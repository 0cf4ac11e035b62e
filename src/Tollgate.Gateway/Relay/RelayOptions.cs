namespace Tollgate.Gateway.Relay;

/// <summary>
/// Limits of one relayed WebSocket connection. An init-only record rather than a positional one because a
/// parameter cannot default to a non-zero TimeSpan: <c>new RelayOptions { MaxMessageBytes = 64 * 1024 }</c>.
/// </summary>
internal sealed record RelayOptions
{
    /// <summary>The smallest buffer that always holds a complete control frame (14-byte header + 125 bytes).</summary>
    public const int MinBufferSize = 256;

    /// <summary>Bytes of the one buffer per direction, rented only while bytes are in flight; bounds memory per busy connection (two buffers). 64 KiB: a 64 KiB message crosses in one read and one write.</summary>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>Largest client→backend message (sum of its fragments' payloads); 0 = unlimited.</summary>
    public long MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest backend→client message; 0 = unlimited.</summary>
    public long MaxBackendMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Check that the client's text messages are UTF-8 (RFC 6455 8.1), closing with 1007 otherwise. Compressed messages are not checked.</summary>
    public bool ValidateClientUtf8 { get; init; } = true;

    /// <summary>Close both sides with 1001 after this long without any bytes either way; zero = never.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>After this long without traffic the gateway pings the client; zero = never. Pongs count as traffic.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Once closing started, how long to wait for the close frames of both sides before dropping the connections.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the backend's close frame, how long the backend has to hang up before the gateway closes its end: the server
    /// closes first (RFC 6455 7.1.1), so the TIME_WAIT stays on the backend's host, not on a gateway port.
    /// </summary>
    public TimeSpan BackendHangUpWait { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferSize, MinBufferSize, nameof(BufferSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessageBytes, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBackendMessageBytes, nameof(MaxBackendMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(IdleTimeout, TimeSpan.Zero, nameof(IdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(PingInterval, TimeSpan.Zero, nameof(PingInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseHandshakeTimeout, TimeSpan.Zero, nameof(CloseHandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackendHangUpWait, TimeSpan.Zero, nameof(BackendHangUpWait));
    }
}
