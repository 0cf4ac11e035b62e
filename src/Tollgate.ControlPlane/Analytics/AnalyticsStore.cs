using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Analytics;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Analytics;

/// <summary>Writes the gateway's analytics batches and applies retention.</summary>
public sealed class AnalyticsStore(IDbContextFactory<TollgateDb> dbFactory)
{
    /// <summary>Adds a batch: minute rows are upserted (counts added, the open count replaced), connection rows appended.</summary>
    public async Task WriteAsync(AnalyticsBatch batch, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var m in batch.Minutes)
        {
            await db.Database.ExecuteSqlRawAsync(MinuteUpsert,
                [m.Minute, Id(m.ApiId), Id(m.ApplicationId), m.MessagesIn, m.BytesIn, m.MessagesOut, m.BytesOut, m.Opened, m.Refused, m.Closed,
                 m.Throttled, m.Dropped, m.OpenAtEnd ?? 0, m.OpenAtEnd.HasValue ? 1 : 0], ct);
            // The daily roll-up grows with every batch, so it needs no separate job and outlives the minute rows.
            await db.Database.ExecuteSqlRawAsync(DayUpsert,
                [m.Minute / 1440, Id(m.ApiId), Id(m.ApplicationId), m.MessagesIn, m.BytesIn, m.MessagesOut, m.BytesOut, m.Opened, m.Refused, m.Closed,
                 m.Throttled, m.Dropped], ct);
        }
        foreach (var c in batch.Connections)
        {
            db.AnalyticsConnections.Add(new AnalyticsConnectionEntity
            {
                At = new DateTimeOffset(c.At, TimeSpan.Zero).ToUnixTimeMilliseconds(),
                ApiId = Id(c.ApiId), Api = c.Api, ApplicationId = Id(c.ApplicationId), Application = c.Application,
                Subscriber = c.Subscriber, KeyType = c.KeyType, Client = c.Client, UserAgent = c.UserAgent,
                Result = c.Result, Reason = c.Reason, HandshakeMs = c.HandshakeMs, AuthMs = c.AuthMs, BackendMs = c.BackendMs,
                DurationMs = c.DurationMs, MessagesIn = c.MessagesIn, BytesIn = c.BytesIn, MessagesOut = c.MessagesOut, BytesOut = c.BytesOut,
                CloseCode = c.CloseCode, CloseReason = c.CloseReason, ClosedBy = c.ClosedBy,
            });
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Deletes minute rows and connection rows older than the retention; returns how many rows went.</summary>
    public async Task<int> PurgeAsync(DateTime now, TimeSpan minuteRetention, TimeSpan connectionRetention, TimeSpan dayRetention, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var minuteCutoff = new DateTimeOffset(now - minuteRetention, TimeSpan.Zero).ToUnixTimeSeconds() / 60;
        var connectionCutoff = new DateTimeOffset(now - connectionRetention, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var dayCutoff = new DateTimeOffset(now - dayRetention, TimeSpan.Zero).ToUnixTimeSeconds() / 86400;
        return await db.AnalyticsMinutes.Where(m => m.Minute < minuteCutoff).ExecuteDeleteAsync(ct)
             + await db.AnalyticsDays.Where(d => d.Day < dayCutoff).ExecuteDeleteAsync(ct)
             + await db.AnalyticsConnections.Where(c => c.At < connectionCutoff).ExecuteDeleteAsync(ct);
    }

    // Valid on SQLite and PostgreSQL alike: identifiers quoted as EF created them (PostgreSQL folds unquoted names to lower
    // case), the old row's values qualified by the table name (PostgreSQL finds a bare name ambiguous next to "excluded"),
    // and the open-count flag compared with 1 (PostgreSQL has no integer truth).
    private const string MinuteUpsert = """
        INSERT INTO "analytics_minutes" AS m ("Minute", "ApiId", "ApplicationId", "MessagesIn", "BytesIn", "MessagesOut", "BytesOut", "Opened", "Refused", "Closed", "Throttled", "Dropped", "OpenAtEnd")
        VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, {12})
        ON CONFLICT ("Minute", "ApiId", "ApplicationId") DO UPDATE SET
          "MessagesIn" = m."MessagesIn" + excluded."MessagesIn", "BytesIn" = m."BytesIn" + excluded."BytesIn",
          "MessagesOut" = m."MessagesOut" + excluded."MessagesOut", "BytesOut" = m."BytesOut" + excluded."BytesOut",
          "Opened" = m."Opened" + excluded."Opened", "Refused" = m."Refused" + excluded."Refused", "Closed" = m."Closed" + excluded."Closed",
          "Throttled" = m."Throttled" + excluded."Throttled", "Dropped" = m."Dropped" + excluded."Dropped",
          "OpenAtEnd" = CASE WHEN {13} = 1 THEN excluded."OpenAtEnd" ELSE m."OpenAtEnd" END
        """;

    // The daily roll-up grows with every batch, so it needs no separate job and outlives the minute rows.
    private const string DayUpsert = """
        INSERT INTO "analytics_days" AS d ("Day", "ApiId", "ApplicationId", "MessagesIn", "BytesIn", "MessagesOut", "BytesOut", "Opened", "Refused", "Closed", "Throttled", "Dropped")
        VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})
        ON CONFLICT ("Day", "ApiId", "ApplicationId") DO UPDATE SET
          "MessagesIn" = d."MessagesIn" + excluded."MessagesIn", "BytesIn" = d."BytesIn" + excluded."BytesIn",
          "MessagesOut" = d."MessagesOut" + excluded."MessagesOut", "BytesOut" = d."BytesOut" + excluded."BytesOut",
          "Opened" = d."Opened" + excluded."Opened", "Refused" = d."Refused" + excluded."Refused", "Closed" = d."Closed" + excluded."Closed",
          "Throttled" = d."Throttled" + excluded."Throttled", "Dropped" = d."Dropped" + excluded."Dropped"
        """;

    internal static string Id(Guid id) => id.ToString("D");
}
