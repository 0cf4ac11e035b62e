namespace Tollgate.Store.Tests.Infrastructure;

/// <summary>One PostgreSQL server for every test on PostgreSQL; each test class makes its own databases.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
