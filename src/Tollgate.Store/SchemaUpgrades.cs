using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Tollgate.Store;

/// <summary>
/// Explicit, idempotent schema upgrades for databases created by an older Tollgate. A fresh database already
/// has every column (it is built from the model), so each step first looks whether its column exists.
/// Only nullable columns or columns with a default are added, so old rows stay valid and an older Tollgate can still read the database.
/// </summary>
public static class SchemaUpgrades
{
    /// <summary>(table, column, SQLite type, PostgreSQL type) added after the first release, in order.</summary>
    private static readonly (string Table, string Column, string Sqlite, string Postgres)[] Columns =
    [
        // 1: throttling (plans carry their limits as JSON; APIs their API-wide policy; applications their policy).
        ("plans", "Policy", "TEXT NULL", "text COLLATE \"C\" NULL"),
        ("apis", "Throttling", "TEXT NULL", "text COLLATE \"C\" NULL"),
        ("applications", "ThrottlingPolicy", "TEXT NULL", "text COLLATE \"C\" NULL"),
        // 2: disabled users; API security settings.
        ("users", "Disabled", "INTEGER NOT NULL DEFAULT 0", "boolean NOT NULL DEFAULT FALSE"),
        ("apis", "SecurityJson", "TEXT NOT NULL DEFAULT ''", "text COLLATE \"C\" NOT NULL DEFAULT ''"),
    ];

    /// <summary>Adds the columns a database from an older version lacks; returns how many it added.</summary>
    public static async Task<int> ApplyAsync(TollgateDb db, CancellationToken ct)
    {
        int applied = 0;
        var postgres = db.Database.IsNpgsql();
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
            await connection.OpenAsync(ct);
        foreach (var (table, column, sqlite, pg) in Columns)
        {
            if (await HasColumnAsync(connection, postgres, table, column, ct))
                continue;
            // Names come from the constant list above, never from input. IF NOT EXISTS: another control plane may have
            // added the column meanwhile (PostgreSQL; SQLite has one process per file).
#pragma warning disable EF1002
            await db.Database.ExecuteSqlRawAsync(postgres
                ? $"ALTER TABLE \"{table}\" ADD COLUMN IF NOT EXISTS \"{column}\" {pg};"
                : $"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {sqlite};", ct);
#pragma warning restore EF1002
            applied++;
        }
        return applied;
    }

    /// <summary>
    /// Creates the tables (and their indexes) named, from the model's own DDL with IF NOT EXISTS: EnsureCreated does nothing
    /// on an existing database (3: analytics; 4: data-protection keys). On PostgreSQL every table goes through here.
    /// </summary>
    public static async Task CreateTablesIfMissingAsync(TollgateDb db, IReadOnlyCollection<string> tables, CancellationToken ct)
    {
        var script = db.Database.GenerateCreateScript();
        foreach (var raw in script.Split(';'))
        {
            var statement = raw.Trim();
            string? rest = null;
            foreach (var prefix in (string[])["CREATE TABLE ", "CREATE UNIQUE INDEX ", "CREATE INDEX "])
            {
                if (statement.StartsWith(prefix, StringComparison.Ordinal))
                {
                    statement = prefix + "IF NOT EXISTS " + statement[prefix.Length..];
                    rest = prefix == "CREATE TABLE " ? statement[(prefix.Length + "IF NOT EXISTS ".Length)..] : After(statement, " ON ");
                    break;
                }
            }
            if (rest is null || !tables.Contains(LeadingName(rest), StringComparer.Ordinal))
                continue;
            // The statements come from the model, never from input.
#pragma warning disable EF1002, EF1003
            await db.Database.ExecuteSqlRawAsync(statement + ";", ct);
#pragma warning restore EF1002, EF1003
        }
    }

    /// <summary>Every table of the model.</summary>
    public static IReadOnlyCollection<string> AllTables(TollgateDb db) =>
        db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct().ToArray();

    private static string After(string statement, string marker)
    {
        var at = statement.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? "" : statement[(at + marker.Length)..];
    }

    /// <summary>The table name at the start of <paramref name="text"/>, quoted (SQLite, PostgreSQL when needed) or not.</summary>
    private static string LeadingName(string text)
    {
        text = text.TrimStart();
        if (text.StartsWith('"'))
        {
            var end = text.IndexOf('"', 1);
            return end < 0 ? "" : text[1..end];
        }
        var stop = text.IndexOfAny([' ', '(', '\n', '\r', '\t']);
        return stop < 0 ? text : text[..stop];
    }

    private static async Task<bool> HasColumnAsync(DbConnection connection, bool postgres, string table, string column, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = postgres
            ? "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table AND column_name = @column"
            : $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = @column";
        if (postgres)
            AddParameter(command, "@table", table);
        AddParameter(command, "@column", column);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
    }

    private static void AddParameter(DbCommand command, string name, string value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
