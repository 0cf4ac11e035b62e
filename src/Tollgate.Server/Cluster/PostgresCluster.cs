namespace Tollgate.Server.Cluster;

/// <summary>What several control planes on one PostgreSQL store share beyond the tables: portal keys and change notices.</summary>
internal static class PostgresCluster
{
    /// <summary>
    /// On PostgreSQL: the data-protection key ring in the store (call after <c>AddDataProtection()</c>, whose file ring it
    /// replaces) and <see cref="PostgresChangeSync"/>. On SQLite (one process per file) nothing.
    /// </summary>
    public static IServiceCollection AddTollgatePostgresCluster(this IServiceCollection services, bool postgres)
    {
        if (!postgres)
            return services;
        PostgresKeyRing.Use(services);
        services.AddSingleton<PostgresChangeSync>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresChangeSync>());
        return services;
    }
}
