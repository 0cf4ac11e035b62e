namespace Tollgate.Gateway.Relay;

/// <summary>Who ended a relayed connection.</summary>
internal enum RelayCloser
{
    Client,
    Backend,
    /// <summary>The gateway itself: RequestClose (revocation, shutdown), idle time-out, a limit or protocol violation, abort.</summary>
    Gateway,
}

/// <summary>How a relayed connection ended.</summary>
/// <param name="CloseCode">
/// The close code of the side that started closing: the code in its close frame (1005 if it had none),
/// 1006 when it disconnected without a close frame, or the code the gateway sent. Null if the relay was aborted.
/// </param>
/// <param name="CloseReason">The reason text that went with <paramref name="CloseCode"/>, if any.</param>
/// <param name="ClosedBy">The side that started closing.</param>
/// <param name="Error">What went wrong, for logs; null for a clean close handshake.</param>
internal sealed record RelayResult(ushort? CloseCode, string? CloseReason, RelayCloser ClosedBy, string? Error)
{
    /// <summary>The relay ended before either side's close was known.</summary>
    public static readonly RelayResult Aborted = new(null, null, RelayCloser.Gateway, "relay aborted");
}
