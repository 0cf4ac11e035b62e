using Microsoft.EntityFrameworkCore;

namespace Tollgate.Store;

/// <summary>
/// Explicit, idempotent schema upgrades for SQLite databases created by an older Tollgate. A fresh database already
/// has every column (EnsureCreated builds it from the model), so each step first looks whether its column exists.
/// Only nullable columns or columns with a default are added, so old rows stay valid and an older Tollgate can still read the file.
/// </summary>
public static class SchemaUpgrades
{
    /// <summary>(table, column, SQLite type) added after the first release, in order.</summary>
    private static readonly (string Table, string Column, string Type)[] Columns =
    [
        // 1: throttling (plans carry their limits as JSON; APIs their API-wide policy; applications their policy).
        ("plans", "Policy", "TEXT NULL"),
        ("apis", "Throttling", "TEXT NULL"),
        ("applications", "ThrottlingPolicy", "TEXT NULL"),
        // 2: disabled users; API security settings.
        ("users", "Disabled", "INTEGER NOT NULL DEFAULT 0"),
        ("apis", "SecurityJson", "TEXT NOT NULL DEFAULT ''"),
    ];

    public static async Task<int> ApplyAsync(TollgateDb db, CancellationToken ct)
    {
        int applied = 0;
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
            await connection.OpenAsync(ct);
        foreach (var (table, column, type) in Columns)
        {
            if (await HasColumnAsync(connection, table, column, ct))
                continue;
            // Names come from the constant list above, never from input.
#pragma warning disable EF1002
            await db.Database.ExecuteSqlRawAsync($"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {type};", ct);
#pragma warning restore EF1002
            applied++;
        }
        return applied;
    }

    /// <summary>
    /// Creates tables (and their indexes) added after the first release, from the model's own DDL with IF NOT EXISTS:
    /// EnsureCreated does nothing on an existing database (3: analytics).
    /// </summary>
    public static async Task CreateTablesIfMissingAsync(TollgateDb db, IReadOnlyCollection<string> tables, CancellationToken ct)
    {
        var script = db.Database.GenerateCreateScript();
        foreach (var raw in script.Split(';'))
        {
            var statement = raw.Trim();
            if (!tables.Any(t => statement.Contains($"\"{t}\"", StringComparison.Ordinal)))
                continue;
            if (statement.StartsWith("CREATE TABLE ", StringComparison.Ordinal))
                statement = "CREATE TABLE IF NOT EXISTS " + statement["CREATE TABLE ".Length..];
            else if (statement.StartsWith("CREATE UNIQUE INDEX ", StringComparison.Ordinal))
                statement = "CREATE UNIQUE INDEX IF NOT EXISTS " + statement["CREATE UNIQUE INDEX ".Length..];
            else if (statement.StartsWith("CREATE INDEX ", StringComparison.Ordinal))
                statement = "CREATE INDEX IF NOT EXISTS " + statement["CREATE INDEX ".Length..];
            else
                continue;
            // The statements come from the model, never from input.
#pragma warning disable EF1002, EF1003
            await db.Database.ExecuteSqlRawAsync(statement + ";", ct);
#pragma warning restore EF1002, EF1003
        }
    }

    private static async Task<bool> HasColumnAsync(System.Data.Common.DbConnection connection, string table, string column, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = $column";
        var p = command.CreateParameter();
        p.ParameterName = "$column";
        p.Value = column;
        command.Parameters.Add(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
    }
}
