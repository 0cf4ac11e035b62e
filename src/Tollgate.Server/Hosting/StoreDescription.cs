using Npgsql;

namespace Tollgate.Server.Hosting;

/// <summary>What the start-up banner says about the store: the engine and where, never a password.</summary>
internal static class StoreDescription
{
    public static string Of(ServerOptions options)
    {
        if (!options.StoreIsPostgres)
            return $"SQLite {options.Store}";
        try
        {
            var b = new NpgsqlConnectionStringBuilder(options.Store);
            return $"PostgreSQL {b.Host}:{b.Port}/{b.Database} as {b.Username}";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }
    }
}
