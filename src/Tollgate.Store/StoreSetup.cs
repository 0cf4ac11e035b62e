using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Tollgate.Store;

public static class StoreSetup
{
    /// <summary>Registers a pooled <see cref="TollgateDb"/> factory on the SQLite file in the data folder.</summary>
    public static IServiceCollection AddTollgateSqliteStore(this IServiceCollection services, string databasePath)
    {
        var connectionString = $"Data Source={databasePath};Cache=Shared;Foreign Keys=True;Default Timeout=30";
        services.AddPooledDbContextFactory<TollgateDb>(o => o.UseSqlite(connectionString));
        return services;
    }

    /// <summary>Creates the schema on first start and turns on WAL so readers never wait for the writer.</summary>
    public static async Task InitializeAsync(IDbContextFactory<TollgateDb> factory, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.EnsureCreatedAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            // Schema upgrades of databases created by earlier versions (EnsureCreated does not alter tables).
            await AddColumnIfMissingAsync(db, "users", "Disabled", "INTEGER NOT NULL DEFAULT 0", ct);
            await CreateTablesIfMissingAsync(db, TollgateDb.LaterTables, ct);
        }
    }

    /// <summary>
    /// Creates tables (and their indexes) added after a database was first created, from the model's own DDL:
    /// EnsureCreated does nothing on an existing database.
    /// </summary>
    private static async Task CreateTablesIfMissingAsync(TollgateDb db, IReadOnlyCollection<string> tables, CancellationToken ct)
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
            await db.Database.ExecuteSqlRawAsync(statement + ";", ct);
        }
    }

    private static async Task AddColumnIfMissingAsync(TollgateDb db, string table, string column, string definition, CancellationToken ct)
    {
        var columns = await db.Database.SqlQueryRaw<string>($"SELECT name AS Value FROM pragma_table_info('{table}')").ToListAsync(ct);
        if (!columns.Contains(column, StringComparer.OrdinalIgnoreCase))
            await db.Database.ExecuteSqlRawAsync($"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {definition};", ct);
    }
}
