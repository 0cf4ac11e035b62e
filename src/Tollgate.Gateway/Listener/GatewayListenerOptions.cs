namespace Tollgate.Gateway.Listener;

/// <summary>Limits of the gateway's own HTTP/1.1 handshake parsing (the same as the gateway's Kestrel limits were).</summary>
/// <param name="HandshakeTimeout">The whole request head must arrive within this (slowloris).</param>
/// <param name="KeepAliveTimeout">After a refusal, how long a kept-alive connection may wait for its next request.</param>
/// <param name="MaxRequestHeadBytes">Request line and headers together; larger heads get 431 (or 414 for a long request line).</param>
public sealed record GatewayListenerOptions(TimeSpan HandshakeTimeout, TimeSpan KeepAliveTimeout, int MaxRequestHeadBytes = 32 * 1024)
{
    public const int MaxRequestLineBytes = 8 * 1024;
}
