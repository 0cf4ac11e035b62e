using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Tollgate.Store;

/// <summary>
/// What PostgreSQL needs beyond the model: the database created if missing, schema and upgrades applied by one control
/// plane at a time (an advisory lock), the counter of changes other control planes watch, and clear start-up errors.
/// </summary>
public static class PostgresStore
{
    /// <summary>Advisory lock held while the schema is created, upgraded and seeded ("tollgate" in ASCII).</summary>
    public const long SchemaLock = 0x746F6C6C67617465;

    /// <summary>Sequence bumped after every change: a control plane that missed a notice sees it move.</summary>
    public const string ChangeCounter = "tollgate_change_counter";

    /// <summary>The channel of LISTEN/NOTIFY on which control planes announce their changes.</summary>
    public const string ChangeChannel = "tollgate_changes";

    /// <summary>Reads the connection string once at start, so a typo fails with the option's name rather than at first use.</summary>
    /// <exception cref="StoreException">It cannot be read, or names no host.</exception>
    public static string Validate(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new StoreException($"--store is not a valid PostgreSQL connection string ({e.Message}): " +
                "use Host=...;Port=5432;Database=...;Username=...;Password=... (or a SQLite file path).", exitCode: 2, e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new StoreException("--store names no PostgreSQL host: add Host=... (e.g. Host=db.example.com;Database=tollgate;Username=tollgate;Password=...).", exitCode: 2);
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "Tollgate";
        return builder.ConnectionString;
    }

    /// <summary>Where the store is, for messages: host, port, database and user, never the password.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL at {b.Host}:{b.Port}, database '{b.Database ?? b.Username}', user '{b.Username}'";
    }

    internal static async Task InitializeAsync(TollgateDb db, Func<CancellationToken, Task>? seed, CancellationToken ct)
    {
        var connectionString = db.Database.GetConnectionString()!;
        try
        {
            await EnsureDatabaseAsync(connectionString, ct);
            await using var gate = new NpgsqlConnection(connectionString);
            await gate.OpenAsync(ct);
            await ScalarAsync(gate, "SELECT pg_advisory_lock(@key)", SchemaLock, ct);
            try
            {
                // Every table from the model with IF NOT EXISTS (EnsureCreated would skip a database holding any other table),
                // then the columns later versions added.
                await SchemaUpgrades.CreateTablesIfMissingAsync(db, SchemaUpgrades.AllTables(db), ct);
                await SchemaUpgrades.ApplyAsync(db, ct);
#pragma warning disable EF1002 // a constant name
                await db.Database.ExecuteSqlRawAsync($"CREATE SEQUENCE IF NOT EXISTS {ChangeCounter};", ct);
#pragma warning restore EF1002
                if (seed is not null)
                    await seed(ct);
            }
            finally
            {
                if (gate.State == System.Data.ConnectionState.Open)
                    await ScalarAsync(gate, "SELECT pg_advisory_unlock(@key)", SchemaLock, CancellationToken.None);
            }
        }
        catch (Exception e) when (Explain(e, connectionString) is { } clear)
        {
            throw clear;
        }
    }

    /// <summary>A clear <see cref="StoreException"/> for an error of the store, or null for any other error.</summary>
    public static StoreException? Explain(Exception e, string connectionString)
    {
        var where = Describe(connectionString);
        var pg = e as PostgresException ?? e.InnerException as PostgresException;
        if (pg is not null)
        {
            var what = pg.SqlState switch
            {
                "28P01" or "28000" => "refused the login: check Username and Password in --store",
                "3D000" => "has no such database: create it, or give the user the right to (CREATEDB), or fix Database in --store",
                "42501" => "refused a statement (permission denied): the user needs to own the database or have CREATE on it; fix the grants or Username in --store",
                "53300" => "has no free connection slot: raise max_connections or lower Maximum Pool Size in --store",
                _ => "refused a statement",
            };
            return new StoreException($"the store ({where}) {what} ({pg.SqlState}: {pg.MessageText}).", exitCode: 1, e);
        }
        if (e is NpgsqlException or SocketException or TimeoutException || e.InnerException is SocketException or TimeoutException)
            return new StoreException($"cannot reach the store ({where}): {e.Message.TrimEnd('.')}{(e.InnerException is { } inner ? $" ({inner.Message.TrimEnd('.')})" : "")}. " +
                "Check that PostgreSQL runs and Host and Port in --store.", exitCode: 1, e);
        return null;
    }

    /// <summary>Creates the database when it does not exist yet (by hand, not EF's creator, which logs the lost race as an error).</summary>
    private static async Task EnsureDatabaseAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(ct);
            return;
        }
        catch (PostgresException e) when (e.SqlState == "3D000")
        {
            // invalid_catalog_name: create it below.
        }
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var name = target.Database ?? target.Username!;
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", connection);
        try
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is "42P04" or "23505")
        {
            // Another control plane created it at the same moment.
        }
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", key);
        return await command.ExecuteScalarAsync(ct);
    }
}
