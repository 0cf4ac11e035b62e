using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Tollgate.Store;

/// <summary>Which store the control plane uses; registered by <see cref="StoreSetup.AddTollgateStore"/>.</summary>
/// <param name="ConnectionString">The PostgreSQL connection string or the SQLite one (never logged: it may hold a password).</param>
public sealed record StoreInfo(string ConnectionString, bool IsPostgres);

public static class StoreSetup
{
    /// <summary>
    /// Registers a pooled <see cref="TollgateDb"/> factory on PostgreSQL (<paramref name="store"/> is a connection string)
    /// or on a SQLite file (<paramref name="store"/> is its path), and a <see cref="StoreInfo"/>.
    /// </summary>
    /// <exception cref="StoreException">The connection string cannot be read (exit code 2).</exception>
    public static IServiceCollection AddTollgateStore(this IServiceCollection services, string store, bool postgres)
    {
        if (!postgres)
            return services.AddTollgateSqliteStore(store);
        var connectionString = PostgresStore.Validate(store);
        services.AddSingleton(new StoreInfo(connectionString, true));
        services.AddPooledDbContextFactory<TollgateDb>(o => o.UseNpgsql(connectionString));
        return services;
    }

    /// <summary>Registers a pooled <see cref="TollgateDb"/> factory on the SQLite file in the data folder.</summary>
    public static IServiceCollection AddTollgateSqliteStore(this IServiceCollection services, string databasePath)
    {
        var connectionString = $"Data Source={databasePath};Cache=Shared;Foreign Keys=True;Default Timeout=30";
        services.AddSingleton(new StoreInfo(connectionString, false));
        services.AddPooledDbContextFactory<TollgateDb>(o => o.UseSqlite(connectionString));
        return services;
    }

    /// <inheritdoc cref="InitializeAsync(IDbContextFactory{TollgateDb}, Func{CancellationToken, Task}?, CancellationToken)"/>
    public static Task InitializeAsync(IDbContextFactory<TollgateDb> factory, CancellationToken ct = default) =>
        InitializeAsync(factory, null, ct);

    /// <summary>
    /// Creates the schema on first start and upgrades a database made by an older version (EnsureCreated does not touch
    /// an existing one), then runs <paramref name="seed"/> (default rows). On SQLite it turns on WAL so readers never wait
    /// for the writer; on PostgreSQL all of it runs under an advisory lock, so control planes starting together take turns.
    /// </summary>
    /// <exception cref="StoreException">The store cannot be reached or used; the message says what to change.</exception>
    public static async Task InitializeAsync(IDbContextFactory<TollgateDb> factory, Func<CancellationToken, Task>? seed, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.Database.IsNpgsql())
        {
            await PostgresStore.InitializeAsync(db, seed, ct);
            return;
        }
        try
        {
            await db.Database.EnsureCreatedAsync(ct);
            if (db.Database.IsSqlite())
            {
                // Schema upgrades of databases created by earlier versions (EnsureCreated does not alter tables).
                await SchemaUpgrades.ApplyAsync(db, ct);
                await SchemaUpgrades.CreateTablesIfMissingAsync(db, TollgateDb.LaterTables, ct);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            }
        }
        catch (SqliteException e)
        {
            throw new StoreException(
                $"the SQLite store '{new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource}' cannot be used ({e.Message}): " +
                "check the file and its folder are writable, or choose another with --store PATH.", exitCode: 1, e);
        }
        if (seed is not null)
            await seed(ct);
    }
}

/// <summary>The store named by <c>--store</c> cannot be used; the message says why and what to change (no stack trace needed).</summary>
public sealed class StoreException(string message, int exitCode, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>2 for a setting that is wrong, 1 for a store that is unreachable or refuses.</summary>
    public int ExitCode { get; } = exitCode;
}
