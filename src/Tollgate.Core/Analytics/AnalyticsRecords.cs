namespace Tollgate.Core.Analytics;

/// <summary>
/// Traffic of one API and one application during one minute (UTC). "In" is client to backend, "out" backend to client.
/// Counts are deltas: the store adds them to what it already has for the same minute, API and application.
/// </summary>
/// <param name="Minute">Unix time in minutes.</param>
/// <param name="OpenAtEnd">Concurrent connections at the last sample in this minute, or null when not sampled.</param>
public sealed record MinuteSample(
    long Minute,
    Guid ApiId,
    Guid ApplicationId,
    long MessagesIn,
    long BytesIn,
    long MessagesOut,
    long BytesOut,
    long Opened,
    long Refused,
    long Closed,
    long Throttled,
    long Dropped,
    int? OpenAtEnd);

/// <summary>
/// One connection attempt as it ended: accepted (and then closed), or refused before the upgrade. Never a token, secret or key.
/// </summary>
/// <param name="Result">"accepted" or the refusal's HTTP status ("401", "403", ...).</param>
/// <param name="HandshakeMs">From the request to the upgrade (or the refusal).</param>
/// <param name="AuthMs">From the request to the end of the checks (credentials, subscription, authorization URL).</param>
/// <param name="BackendMs">Connecting and upgrading the backend.</param>
public sealed record ConnectionRecord(
    DateTime At,
    Guid ApiId,
    string Api,
    Guid ApplicationId,
    string Application,
    string Subscriber,
    string KeyType,
    string Client,
    string UserAgent,
    string Result,
    string? Reason,
    double HandshakeMs,
    double AuthMs,
    double BackendMs,
    double DurationMs,
    long MessagesIn,
    long BytesIn,
    long MessagesOut,
    long BytesOut,
    int? CloseCode,
    string? CloseReason,
    string? ClosedBy);

/// <summary>What the gateway hands to the background writer in one go.</summary>
public sealed record AnalyticsBatch(IReadOnlyList<MinuteSample> Minutes, IReadOnlyList<ConnectionRecord> Connections);
