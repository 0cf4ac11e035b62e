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

    /// <summary>
    /// Creates the schema on first start, upgrades a database made by an older version (EnsureCreated does not touch
    /// an existing one), and turns on WAL so readers never wait for the writer.
    /// </summary>
    public static async Task InitializeAsync(IDbContextFactory<TollgateDb> factory, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.EnsureCreatedAsync(ct);
        if (db.Database.IsSqlite())
        {
            // Schema upgrades of databases created by earlier versions (EnsureCreated does not alter tables).
            await SchemaUpgrades.ApplyAsync(db, ct);
            await SchemaUpgrades.CreateTablesIfMissingAsync(db, TollgateDb.LaterTables, ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }
}
