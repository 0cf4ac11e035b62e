namespace Tollgate.Store.Entities;

// Analytics rows. Ids are kept as lower-case text and times as Unix numbers so raw SQL (upserts,
// retention) and EF queries agree on the representation in every provider.

/// <summary>Traffic of one API and one application in one minute ("in" = client to backend).</summary>
public sealed class AnalyticsMinuteEntity
{
    public long Id { get; set; }
    /// <summary>Unix time in minutes.</summary>
    public long Minute { get; set; }
    public string ApiId { get; set; } = "";
    public string ApplicationId { get; set; } = "";
    public long MessagesIn { get; set; }
    public long BytesIn { get; set; }
    public long MessagesOut { get; set; }
    public long BytesOut { get; set; }
    public long Opened { get; set; }
    public long Refused { get; set; }
    public long Closed { get; set; }
    public long Throttled { get; set; }
    public long Dropped { get; set; }
    public int OpenAtEnd { get; set; }
}

/// <summary>One connection attempt: accepted and closed, or refused before the upgrade. Never a token, secret or key.</summary>
public sealed class AnalyticsConnectionEntity
{
    public long Id { get; set; }
    /// <summary>Unix time in milliseconds when the connection ended (or was refused).</summary>
    public long At { get; set; }
    public string ApiId { get; set; } = "";
    public string Api { get; set; } = "";
    public string ApplicationId { get; set; } = "";
    public string Application { get; set; } = "";
    public string Subscriber { get; set; } = "";
    public string KeyType { get; set; } = "";
    public string Client { get; set; } = "";
    public string UserAgent { get; set; } = "";
    public string Result { get; set; } = "";
    public string? Reason { get; set; }
    public double HandshakeMs { get; set; }
    public double AuthMs { get; set; }
    public double BackendMs { get; set; }
    public double DurationMs { get; set; }
    public long MessagesIn { get; set; }
    public long BytesIn { get; set; }
    public long MessagesOut { get; set; }
    public long BytesOut { get; set; }
    public int? CloseCode { get; set; }
    public string? CloseReason { get; set; }
    public string? ClosedBy { get; set; }
}

/// <summary>Daily roll-up of the minute rows (kept longer than them): traffic of one API and one application in one UTC day.</summary>
public sealed class AnalyticsDayEntity
{
    public long Id { get; set; }
    /// <summary>Unix time in days.</summary>
    public long Day { get; set; }
    public string ApiId { get; set; } = "";
    public string ApplicationId { get; set; } = "";
    public long MessagesIn { get; set; }
    public long BytesIn { get; set; }
    public long MessagesOut { get; set; }
    public long BytesOut { get; set; }
    public long Opened { get; set; }
    public long Refused { get; set; }
    public long Closed { get; set; }
    public long Throttled { get; set; }
    public long Dropped { get; set; }
}
