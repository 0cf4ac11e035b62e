using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Throttling.Tests.Cluster;

/// <summary>A database made before cluster throttling gets its counter tables on start.</summary>
public sealed class CounterTablesUpgradeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tollgate-counters-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task The_counter_tables_are_created_on_an_existing_database()
    {
        var factory = new Factory(_path);
        await StoreSetup.InitializeAsync(factory);
        await using (var db = factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("DROP TABLE throttle_counters; DROP TABLE throttle_connection_counts;");
        SqliteConnection.ClearAllPools();

        await StoreSetup.InitializeAsync(factory);
        await using (var db = factory.CreateDbContext())
        {
            db.ThrottleCounters.Add(new ThrottleCounterEntity { Key = "sub:1:events:second", Consumed = 5 });
            db.ThrottleConnectionCounts.Add(new ThrottleConnectionCountEntity { Node = "a", Key = "sub:1:connections", Count = 2 });
            await db.SaveChangesAsync();
            Assert.Equal(5, (await db.ThrottleCounters.SingleAsync()).Consumed);
            Assert.Equal(2, (await db.ThrottleConnectionCounts.SingleAsync()).Count);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(f);
    }

    private sealed class Factory(string path) : IDbContextFactory<TollgateDb>
    {
        public TollgateDb CreateDbContext() =>
            new(new DbContextOptionsBuilder<TollgateDb>().UseSqlite($"Data Source={path}").Options);
    }
}
