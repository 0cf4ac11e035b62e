using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tollgate.Core.Analytics;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Analytics;

/// <summary>Writes the gateway's analytics batches and applies retention.</summary>
public sealed class AnalyticsStore(IDbContextFactory<TollgateDb> dbFactory, StoreInfo store) : IDisposable
{
    private readonly SqliteAnalyticsWriter? _sqlite = store.IsPostgres ? null : new SqliteAnalyticsWriter(store.ConnectionString);

    /// <summary>Adds a batch: minute rows are upserted (counts added, the open count replaced), connection rows appended.</summary>
    public async Task WriteAsync(AnalyticsBatch batch, CancellationToken ct)
    {
        if (_sqlite is not null)
        {
            _sqlite.Write(batch); // SQLite's calls are synchronous underneath in any case
            return;
        }
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
        await InsertConnectionsAsync(db, batch.Connections, ct);
        await tx.CommitAsync(ct);
    }

    public void Dispose() => _sqlite?.Dispose();

    /// <summary>
    /// PostgreSQL: appends connection rows with one prepared command reused for every row (inside the batch's
    /// transaction): a busy gateway sends thousands per batch, and EF's change tracking cost more per row than the
    /// handshake itself.
    /// </summary>
    private static async Task InsertConnectionsAsync(TollgateDb db, IReadOnlyList<ConnectionRecord> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
            return;
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = ConnectionInsert;
        var values = new System.Data.Common.DbParameter[ConnectionColumns.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = command.CreateParameter();
            values[i].ParameterName = "@p" + i;
            command.Parameters.Add(values[i]);
        }
        foreach (var c in rows)
        {
            object?[] row =
            [
                new DateTimeOffset(c.At, TimeSpan.Zero).ToUnixTimeMilliseconds(), Id(c.ApiId), c.Api, Id(c.ApplicationId), c.Application,
                c.Subscriber, c.KeyType, c.Client, c.UserAgent, c.Result, c.Reason, c.HandshakeMs, c.AuthMs, c.BackendMs, c.DurationMs,
                c.MessagesIn, c.BytesIn, c.MessagesOut, c.BytesOut, c.CloseCode, c.CloseReason, c.ClosedBy,
            ];
            for (var i = 0; i < row.Length; i++)
                values[i].Value = row[i] ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static readonly string[] ConnectionColumns =
    [
        "At", "ApiId", "Api", "ApplicationId", "Application", "Subscriber", "KeyType", "Client", "UserAgent", "Result", "Reason",
        "HandshakeMs", "AuthMs", "BackendMs", "DurationMs", "MessagesIn", "BytesIn", "MessagesOut", "BytesOut", "CloseCode", "CloseReason", "ClosedBy",
    ];

    internal static readonly string ConnectionInsert =
        $"INSERT INTO \"analytics_connections\" ({string.Join(", ", ConnectionColumns.Select(c => $"\"{c}\""))}) " +
        $"VALUES ({string.Join(", ", ConnectionColumns.Select((_, i) => "@p" + i))})";

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
    internal const string MinuteUpsert = """
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
    internal const string DayUpsert = """
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
