namespace Tollgate.Gateway.Backend;

/// <summary>How a backend handshake ended; the gateway maps these to its HTTP answers (502/504).</summary>
internal enum BackendOutcome
{
    /// <summary>The backend answered 101; the stream is ready for frames.</summary>
    Upgraded,
    /// <summary>The backend answered, but not with a valid 101 (its status, or 502 for a malformed answer).</summary>
    Refused,
    /// <summary>No connection: DNS failure, connection refused, TLS failure.</summary>
    Unreachable,
    /// <summary>Connect plus handshake did not finish within the time-out.</summary>
    TimedOut,
}
