using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Tollgate.Store;

namespace Tollgate.ControlPlane.Analytics;

/// <summary>The series the Publisher and Developer Portal pages and the REST API show, read from the analytics tables.</summary>
public sealed class AnalyticsQueries(IDbContextFactory<TollgateDb> dbFactory, ILiveConnectionCounts? live = null)
{
    public async Task<AnalyticsReport> ReportAsync(AnalyticsScope scope, Guid? id, AnalyticsRange range, DateTime now, CancellationToken ct)
    {
        var bucketMinutes = (long)range.Bucket.TotalMinutes;
        var nowMinute = new DateTimeOffset(now, TimeSpan.Zero).ToUnixTimeSeconds() / 60;
        var toMinute = (nowMinute / bucketMinutes + 1) * bucketMinutes; // end of the current bucket
        var fromMinute = toMinute - (long)range.Length.TotalMinutes;
        var fromMs = fromMinute * 60_000;
        var key = id is { } g ? AnalyticsStore.Id(g) : null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var minutesQuery = db.AnalyticsMinutes.AsNoTracking().Where(m => m.Minute >= fromMinute && m.Minute < toMinute);
        var connectionsQuery = db.AnalyticsConnections.AsNoTracking().Where(c => c.At >= fromMs);
        if (scope == AnalyticsScope.Api)
        {
            minutesQuery = minutesQuery.Where(m => m.ApiId == key);
            connectionsQuery = connectionsQuery.Where(c => c.ApiId == key);
        }
        else if (scope == AnalyticsScope.Application)
        {
            minutesQuery = minutesQuery.Where(m => m.ApplicationId == key);
            connectionsQuery = connectionsQuery.Where(c => c.ApplicationId == key);
        }
        var minutes = range.Daily ? await DaysAsync(db, scope, key, fromMinute, toMinute, ct) : await minutesQuery.ToListAsync(ct);
        var connections = await connectionsQuery
            .Select(c => new { c.Result, c.Reason, c.HandshakeMs, c.CloseCode, c.ClosedBy })
            .ToListAsync(ct);

        var totals = new AnalyticsTotals(
            minutes.Sum(m => m.Opened), minutes.Sum(m => m.Refused), minutes.Sum(m => m.Closed),
            minutes.Sum(m => m.MessagesIn), minutes.Sum(m => m.MessagesOut), minutes.Sum(m => m.BytesIn), minutes.Sum(m => m.BytesOut),
            minutes.Sum(m => m.Throttled), minutes.Sum(m => m.Dropped));

        var series = new List<AnalyticsPoint>();
        var byBucket = minutes.GroupBy(m => (m.Minute - fromMinute) / bucketMinutes).ToDictionary(g => g.Key, g => g.ToList());
        for (long b = 0; b < (toMinute - fromMinute) / bucketMinutes; b++)
        {
            var time = DateTimeOffset.FromUnixTimeSeconds((fromMinute + b * bucketMinutes) * 60).UtcDateTime;
            if (!byBucket.TryGetValue(b, out var rows))
            {
                series.Add(new AnalyticsPoint(time, 0, 0, 0, 0, 0, 0, 0, 0, 0));
                continue;
            }
            var open = rows.GroupBy(r => r.Minute).Max(g => (long)g.Sum(r => r.OpenAtEnd));
            series.Add(new AnalyticsPoint(time, rows.Sum(r => r.Opened), rows.Sum(r => r.Refused), rows.Sum(r => r.Closed), open,
                rows.Sum(r => r.MessagesIn), rows.Sum(r => r.MessagesOut), rows.Sum(r => r.BytesIn), rows.Sum(r => r.BytesOut), rows.Sum(r => r.Throttled)));
        }

        var refusals = connections.Where(c => c.Result != "accepted")
            .GroupBy(c => (c.Result, Reason: c.Reason ?? ""))
            .Select(g => new RefusalCount(g.Key.Result, g.Key.Reason, g.Count()))
            .OrderByDescending(r => r.Count).ThenBy(r => r.Status, StringComparer.Ordinal).ToArray();
        var closeCodes = connections.Where(c => c.Result == "accepted")
            .GroupBy(c => (c.CloseCode, ClosedBy: c.ClosedBy ?? ""))
            .Select(g => new CloseCodeCount(g.Key.CloseCode, g.Key.ClosedBy, g.Count()))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Code).ToArray();
        var latencies = connections.Where(c => c.Result == "accepted").Select(c => c.HandshakeMs).Order().ToArray();

        IReadOnlyList<AnalyticsBreakdown>? topApplications = null, apis = null;
        string name = "All APIs";
        if (scope == AnalyticsScope.Api)
        {
            var appNames = await db.Applications.AsNoTracking().Select(a => new { a.Id, a.Name }).ToListAsync(ct);
            var names = appNames.ToDictionary(a => AnalyticsStore.Id(a.Id), a => a.Name);
            topApplications = Breakdown(minutes.Where(m => m.ApplicationId != AnalyticsStore.Id(Guid.Empty)), m => m.ApplicationId, names,
                g => live?.Count(id, g) ?? 0);
            var api = await db.Apis.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
            name = api is null ? "" : $"{api.Name} {api.Version}";
        }
        else
        {
            var apiNames = await db.Apis.AsNoTracking().Select(a => new { a.Id, a.Name, a.Version }).ToListAsync(ct);
            var names = apiNames.ToDictionary(a => AnalyticsStore.Id(a.Id), a => $"{a.Name} {a.Version}");
            names[AnalyticsStore.Id(Guid.Empty)] = "(no API matched)";
            apis = Breakdown(minutes, m => m.ApiId, names,
                g => live?.Count(g, scope == AnalyticsScope.Application ? id : null) ?? 0);
            if (scope == AnalyticsScope.Application && id is { } appId)
                name = (await db.Applications.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct))?.Name ?? "";
        }

        var openNow = scope switch
        {
            AnalyticsScope.Api => live?.Count(id, null) ?? 0,
            AnalyticsScope.Application => live?.Count(null, id) ?? 0,
            _ => live?.Count() ?? 0,
        };
        return new AnalyticsReport(scope.ToString().ToLowerInvariant(), id, name, range.Name,
            DateTimeOffset.FromUnixTimeSeconds(fromMinute * 60).UtcDateTime, DateTimeOffset.FromUnixTimeSeconds(toMinute * 60).UtcDateTime,
            (int)range.Bucket.TotalSeconds, openNow, totals, series, refusals, closeCodes,
            new LatencyPercentiles(latencies.Length, Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.99),
                latencies.Length == 0 ? 0 : latencies[^1]),
            topApplications, apis);
    }

    /// <summary>Rows of the daily roll-up in the shape of minute rows (at the day's first minute; no open count).</summary>
    private static async Task<List<Store.Entities.AnalyticsMinuteEntity>> DaysAsync(TollgateDb db, AnalyticsScope scope, string? key,
        long fromMinute, long toMinute, CancellationToken ct)
    {
        long fromDay = fromMinute / 1440, toDay = toMinute / 1440;
        var days = db.AnalyticsDays.AsNoTracking().Where(d => d.Day >= fromDay && d.Day < toDay);
        if (scope == AnalyticsScope.Api)
            days = days.Where(d => d.ApiId == key);
        else if (scope == AnalyticsScope.Application)
            days = days.Where(d => d.ApplicationId == key);
        return (await days.ToListAsync(ct)).Select(d => new Store.Entities.AnalyticsMinuteEntity
        {
            Minute = d.Day * 1440, ApiId = d.ApiId, ApplicationId = d.ApplicationId, MessagesIn = d.MessagesIn, BytesIn = d.BytesIn,
            MessagesOut = d.MessagesOut, BytesOut = d.BytesOut, Opened = d.Opened, Refused = d.Refused, Closed = d.Closed,
            Throttled = d.Throttled, Dropped = d.Dropped,
        }).ToList();
    }

    private static AnalyticsBreakdown[] Breakdown(IEnumerable<Store.Entities.AnalyticsMinuteEntity> rows,
        Func<Store.Entities.AnalyticsMinuteEntity, string> key, IReadOnlyDictionary<string, string> names, Func<Guid, int> openNow) =>
        rows.GroupBy(key)
            .Select(g =>
            {
                var id = Guid.Parse(g.Key);
                return new AnalyticsBreakdown(id, names.GetValueOrDefault(g.Key, g.Key), g.Sum(m => m.Opened), g.Sum(m => m.Refused),
                    g.Sum(m => m.MessagesIn), g.Sum(m => m.MessagesOut), g.Sum(m => m.BytesIn), g.Sum(m => m.BytesOut), openNow(id));
            })
            .OrderByDescending(b => b.MessagesIn + b.MessagesOut).ThenByDescending(b => b.Connections).ThenBy(b => b.Name, StringComparer.Ordinal)
            .Take(20)
            .ToArray();

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The series as CSV, one line per bucket.</summary>
    public static string ToCsv(AnalyticsReport report)
    {
        var csv = new StringBuilder("time,connections,refused,closed,open,messagesIn,messagesOut,bytesIn,bytesOut,throttled\n");
        foreach (var p in report.Series)
            csv.Append(CultureInfo.InvariantCulture,
                $"{p.Time:yyyy-MM-ddTHH:mm:ssZ},{p.Connections},{p.Refused},{p.Closed},{p.Open},{p.MessagesIn},{p.MessagesOut},{p.BytesIn},{p.BytesOut},{p.Throttled}\n");
        return csv.ToString();
    }
}
