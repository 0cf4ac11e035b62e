namespace Tollgate.Gateway.Relay;

/// <summary>Why a <see cref="DirectionScan"/> stopped before the end of the bytes it was given.</summary>
internal enum ScanStop : byte
{
    /// <summary>Scanned to the end, or up to a header or control frame that runs on past the bytes given.</summary>
    None,
    /// <summary>The source's close frame (included in what was scanned): nothing may follow it.</summary>
    Close,
    /// <summary>At a frame boundary while the gateway has a close frame waiting for the target.</summary>
    PendingClose,
    ProtocolError,
    MessageTooBig,
    InvalidUtf8,
    /// <summary>The gate holds the next message for <see cref="DirectionScan.DelayNs"/> (nothing of it scanned).</summary>
    Shape,
    /// <summary>The gate closes the connection (<see cref="DirectionScan.LimitReason"/>); the message is not forwarded.</summary>
    Limit,
    /// <summary>The bytes scanned so far are to be forwarded (or dropped) and what follows is not.</summary>
    Switch,
}

/// <summary>The side a direction writes to, as its scan sees it: whether the gateway has a close frame waiting for it.</summary>
internal interface ICloseTarget
{
    bool ClosePending { get; }
}
