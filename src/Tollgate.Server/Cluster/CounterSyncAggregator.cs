using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Tollgate.Gateway.Throttling.Cluster;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.Cluster;

/// <summary>
/// Adds one gateway node's counter deltas to the cluster's totals and reads the totals back, in one transaction.
/// Totals only grow (a node works out the others' share as total − sent − last seen), so concurrent exchanges of
/// several nodes, through one or several control planes, need nothing more than atomic upserts.
/// </summary>
internal sealed class CounterSyncAggregator(IDbContextFactory<TollgateDb> dbFactory, TimeProvider clock)
{
    /// <summary>Connection counts of a node not heard from for this long do not count (a dead node's connections must not block forever).</summary>
    public static readonly TimeSpan NodeSilence = TimeSpan.FromSeconds(10);

    /// <summary>Rate totals not written for this long are purged (nothing of a rate matters that long after).</summary>
    public static readonly TimeSpan RateRetention = TimeSpan.FromHours(1);

    private const int RowsPerStatement = 200;
    private Sql? _sql;

    public async Task<CounterSyncResponse> ExchangeAsync(CounterSyncRequest request, CancellationToken ct)
    {
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var rates = request.Rates ?? [];
        var quotas = request.Quotas ?? [];
        var connections = request.Connections ?? [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sql = _sql ??= new Sql(db.Model);
        if (request.EntryCount == 0)
        {
            // Nothing held: still prove the store answers, so an idle node's /metrics tells the truth.
            await db.ThrottleCounters.AnyAsync(ct);
            return new CounterSyncResponse([], [], []);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL")
            await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit TO OFF", ct); // counters need no flush to disk: a crash loses one interval
        var counterRows = rates.Where(r => r.Consumed > 0).Select(r => (r.Key, 0L, r.Consumed, now + (long)RateRetention.TotalMilliseconds))
            .Concat(quotas.Where(q => q.Consumed > 0).Select(q => (q.Key, q.WindowStart, q.Consumed, q.WindowEnd)))
            // The same order in every transaction, so two nodes updating the same rows never deadlock (PostgreSQL row locks).
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Item2)
            .ToList();
        foreach (var chunk in counterRows.Chunk(RowsPerStatement))
        {
            var args = new List<object>(chunk.Length * 5);
            foreach (var (key, windowStart, consumed, expires) in chunk)
                args.AddRange([key, windowStart, consumed, now, expires]);
            await db.Database.ExecuteSqlRawAsync(sql.CounterUpsert(chunk.Length), args, ct);
        }
        var reported = connections.Where(c => c.Count is not null).ToList();
        foreach (var chunk in reported.Chunk(RowsPerStatement))
        {
            var args = new List<object>(chunk.Length * 4);
            foreach (var c in chunk)
                args.AddRange([request.Node, c.Key, c.Count!.Value, now]);
            await db.Database.ExecuteSqlRawAsync(sql.ConnectionUpsert(chunk.Length), args, ct);
        }

        // Read back after writing, in the same transaction: every total includes this node's delta.
        var rateKeys = rates.Select(r => r.Key).ToList();
        var rateTotals = rateKeys.Count == 0 ? new Dictionary<string, long>()
            : await db.ThrottleCounters.Where(t => t.WindowStart == 0 && rateKeys.Contains(t.Key))
                .ToDictionaryAsync(t => t.Key, t => t.Consumed, StringComparer.Ordinal, ct);
        var quotaKeys = quotas.Select(q => q.Key).Distinct().ToList();
        var quotaTotals = quotaKeys.Count == 0 ? new Dictionary<(string, long), long>()
            : await db.ThrottleCounters.Where(t => t.WindowStart != 0 && quotaKeys.Contains(t.Key))
                .Select(t => new { t.Key, t.WindowStart, t.Consumed })
                .ToDictionaryAsync(t => (t.Key, t.WindowStart), t => t.Consumed, ct);
        var connectionKeys = connections.Select(c => c.Key).ToList();
        long heardSince = now - (long)NodeSilence.TotalMilliseconds;
        var others = connectionKeys.Count == 0 ? new Dictionary<string, int>()
            : await db.ThrottleConnectionCounts
                .Where(c => connectionKeys.Contains(c.Key) && c.Node != request.Node && c.UpdatedAt >= heardSince)
                .GroupBy(c => c.Key)
                .Select(g => new { g.Key, Count = g.Sum(c => c.Count) })
                .ToDictionaryAsync(g => g.Key, g => g.Count, StringComparer.Ordinal, ct);
        await tx.CommitAsync(ct);

        return new CounterSyncResponse(
            rates.Select(r => rateTotals.GetValueOrDefault(r.Key)).ToArray(),
            quotas.Select(q => quotaTotals.GetValueOrDefault((q.Key, q.WindowStart))).ToArray(),
            connections.Select(c => others.GetValueOrDefault(c.Key)).ToArray());
    }

    /// <summary>Deletes finished quota windows, old rate totals and connection counts of nodes long gone.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        long gone = now - (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ThrottleCounters.Where(t => t.ExpiresAt < now).ExecuteDeleteAsync(ct)
             + await db.ThrottleConnectionCounts.Where(c => c.UpdatedAt < gone).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// The two upserts, with table and column names taken from the model (so they follow whatever naming the
    /// provider uses) and quoted; <c>INSERT … ON CONFLICT … DO UPDATE</c> is the same on SQLite and PostgreSQL.
    /// Values are always parameters.
    /// </summary>
    private sealed class Sql
    {
        private readonly string _counterInsert;
        private readonly string _counterConflict;
        private readonly string _connectionInsert;
        private readonly string _connectionConflict;

        public Sql(IModel model)
        {
            var (ct, c) = Names(model, typeof(ThrottleCounterEntity));
            // "AS t" names the existing row in DO UPDATE (both engines), whatever the table's schema.
            _counterInsert = $"INSERT INTO {ct} AS t ({c("Key")}, {c("WindowStart")}, {c("Consumed")}, {c("UpdatedAt")}, {c("ExpiresAt")}) VALUES ";
            _counterConflict = $" ON CONFLICT ({c("Key")}, {c("WindowStart")}) DO UPDATE SET " +
                $"{c("Consumed")} = t.{c("Consumed")} + excluded.{c("Consumed")}, " +
                $"{c("UpdatedAt")} = excluded.{c("UpdatedAt")}, " +
                $"{c("ExpiresAt")} = CASE WHEN excluded.{c("ExpiresAt")} > t.{c("ExpiresAt")} THEN excluded.{c("ExpiresAt")} ELSE t.{c("ExpiresAt")} END";
            var (nt, n) = Names(model, typeof(ThrottleConnectionCountEntity));
            _connectionInsert = $"INSERT INTO {nt} ({n("Node")}, {n("Key")}, {n("Count")}, {n("UpdatedAt")}) VALUES ";
            _connectionConflict = $" ON CONFLICT ({n("Node")}, {n("Key")}) DO UPDATE SET {n("Count")} = excluded.{n("Count")}, {n("UpdatedAt")} = excluded.{n("UpdatedAt")}";
        }

        public string CounterUpsert(int rows) => _counterInsert + Values(rows, 5) + _counterConflict;

        public string ConnectionUpsert(int rows) => _connectionInsert + Values(rows, 4) + _connectionConflict;

        private static string Values(int rows, int columns) =>
            string.Join(", ", Enumerable.Range(0, rows).Select(r =>
                "(" + string.Join(", ", Enumerable.Range(0, columns).Select(i => $"{{{r * columns + i}}}")) + ")"));

        private static (string Table, Func<string, string> Column) Names(IModel model, Type entity)
        {
            var type = model.FindEntityType(entity) ?? throw new InvalidOperationException($"{entity.Name} is not in the model.");
            var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
            string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
            var qualified = (table.Schema is { } schema ? Quote(schema) + "." : "") + Quote(table.Name);
            return (qualified, property => Quote(type.FindProperty(property)!.GetColumnName(table)!));
        }
    }
}
