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
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO analytics_minutes (Minute, ApiId, ApplicationId, MessagesIn, BytesIn, MessagesOut, BytesOut, Opened, Refused, Closed, Throttled, Dropped, OpenAtEnd)
                VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, {12})
                ON CONFLICT (Minute, ApiId, ApplicationId) DO UPDATE SET
                  MessagesIn = MessagesIn + excluded.MessagesIn, BytesIn = BytesIn + excluded.BytesIn,
                  MessagesOut = MessagesOut + excluded.MessagesOut, BytesOut = BytesOut + excluded.BytesOut,
                  Opened = Opened + excluded.Opened, Refused = Refused + excluded.Refused, Closed = Closed + excluded.Closed,
                  Throttled = Throttled + excluded.Throttled, Dropped = Dropped + excluded.Dropped,
                  OpenAtEnd = CASE WHEN {13} THEN excluded.OpenAtEnd ELSE OpenAtEnd END
                """,
                [m.Minute, Id(m.ApiId), Id(m.ApplicationId), m.MessagesIn, m.BytesIn, m.MessagesOut, m.BytesOut, m.Opened, m.Refused, m.Closed,
                 m.Throttled, m.Dropped, m.OpenAtEnd ?? 0, m.OpenAtEnd.HasValue ? 1 : 0], ct);
            // The daily roll-up grows with every batch, so it needs no separate job and outlives the minute rows.
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO analytics_days (Day, ApiId, ApplicationId, MessagesIn, BytesIn, MessagesOut, BytesOut, Opened, Refused, Closed, Throttled, Dropped)
                VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})
                ON CONFLICT (Day, ApiId, ApplicationId) DO UPDATE SET
                  MessagesIn = MessagesIn + excluded.MessagesIn, BytesIn = BytesIn + excluded.BytesIn,
                  MessagesOut = MessagesOut + excluded.MessagesOut, BytesOut = BytesOut + excluded.BytesOut,
                  Opened = Opened + excluded.Opened, Refused = Refused + excluded.Refused, Closed = Closed + excluded.Closed,
                  Throttled = Throttled + excluded.Throttled, Dropped = Dropped + excluded.Dropped
                """,
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

    internal static string Id(Guid id) => id.ToString("D");
}
