namespace Tollgate.ControlPlane.Analytics;

public enum AnalyticsScope { All, Api, Application }

/// <summary>The time ranges the pages and the REST API offer, with their bucket sizes.</summary>
/// <param name="Daily">Read from the daily roll-up (kept longer than the minute rows) instead of the minute rows.</param>
public sealed record AnalyticsRange(string Name, TimeSpan Length, TimeSpan Bucket, bool Daily = false)
{
    public static readonly AnalyticsRange Hour = new("hour", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
    public static readonly AnalyticsRange Day = new("day", TimeSpan.FromDays(1), TimeSpan.FromMinutes(15));
    public static readonly AnalyticsRange Week = new("week", TimeSpan.FromDays(7), TimeSpan.FromHours(2));
    public static readonly AnalyticsRange Month = new("month", TimeSpan.FromDays(30), TimeSpan.FromDays(1), Daily: true);
    public static readonly AnalyticsRange Year = new("year", TimeSpan.FromDays(365), TimeSpan.FromDays(1), Daily: true);

    public static AnalyticsRange? Parse(string? value) => (value ?? "hour").ToLowerInvariant() switch
    {
        "hour" => Hour,
        "day" => Day,
        "week" => Week,
        "month" => Month,
        "year" => Year,
        _ => null,
    };
}

/// <summary>Counts over the whole range.</summary>
public sealed record AnalyticsTotals(long Connections, long Refused, long Closed, long MessagesIn, long MessagesOut, long BytesIn, long BytesOut, long Throttled, long Dropped);

/// <summary>One bucket of the series. <paramref name="Open"/>: most concurrent connections seen at a minute's end in the bucket.</summary>
public sealed record AnalyticsPoint(DateTime Time, long Connections, long Refused, long Closed, long Open, long MessagesIn, long MessagesOut, long BytesIn, long BytesOut, long Throttled);

public sealed record RefusalCount(string Status, string Reason, long Count);

public sealed record CloseCodeCount(int? Code, string ClosedBy, long Count);

/// <summary>One application (on an API's page) or one API (on an application's page or the overview).</summary>
public sealed record AnalyticsBreakdown(Guid Id, string Name, long Connections, long Refused, long MessagesIn, long MessagesOut, long BytesIn, long BytesOut, int OpenNow);

/// <summary>Handshake latency percentiles of accepted connections, in milliseconds.</summary>
public sealed record LatencyPercentiles(long Count, double P50, double P90, double P99, double Max);

public sealed record AnalyticsReport(
    string Scope,
    Guid? Id,
    string Name,
    string Range,
    DateTime From,
    DateTime To,
    int BucketSeconds,
    int OpenNow,
    AnalyticsTotals Totals,
    IReadOnlyList<AnalyticsPoint> Series,
    IReadOnlyList<RefusalCount> Refusals,
    IReadOnlyList<CloseCodeCount> CloseCodes,
    LatencyPercentiles HandshakeMs,
    IReadOnlyList<AnalyticsBreakdown>? TopApplications,
    IReadOnlyList<AnalyticsBreakdown>? Apis);

/// <summary>Open connections right now, from the gateway running in this process.</summary>
public interface ILiveConnectionCounts
{
    int Count(Guid? apiId = null, Guid? applicationId = null);
}
