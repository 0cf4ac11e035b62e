using Npgsql;
using Tollgate.Store.Tests.Infrastructure;

namespace Tollgate.Store.Tests;

/// <summary>The store contract on SQLite: a new file per test.</summary>
public sealed class SqliteStoreTests : StoreContractTests
{
    protected override Task<(string Store, bool Postgres)> NewStoreAsync() =>
        Task.FromResult((Path.Combine(Path.GetTempPath(), $"tollgate-store-{Guid.NewGuid():N}.db"), false));
}

/// <summary>
/// The store contract on PostgreSQL: a new database per test, whose default collation is linguistic (ICU en-US), so text
/// only sorts and compares as on SQLite if Tollgate's own columns say how.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : StoreContractTests
{
    protected override async Task<(string Store, bool Postgres)> NewStoreAsync()
    {
        var name = PostgresServer.UniqueName("contract");
        await using (var connection = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                $"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", connection);
            await create.ExecuteNonQueryAsync();
        }
        return (server.ConnectionString(name), true);
    }
}
