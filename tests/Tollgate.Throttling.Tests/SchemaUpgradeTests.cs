using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tollgate.Store;

namespace Tollgate.Throttling.Tests;

/// <summary>A database made before throttling (no limit columns) gets them on start; a new one is left alone.</summary>
public sealed class SchemaUpgradeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tollgate-upgrade-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task Missing_columns_are_added_once_and_old_rows_survive()
    {
        var factory = new Factory(_path);
        await StoreSetup.InitializeAsync(factory);
        await using (var db = factory.CreateDbContext())
        {
            // Back to the schema of the first release.
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE plans DROP COLUMN Policy; ALTER TABLE apis DROP COLUMN Throttling; ALTER TABLE applications DROP COLUMN ThrottlingPolicy;");
            await db.Database.ExecuteSqlRawAsync("INSERT INTO plans (Name, Description, EventsPerDay) VALUES ('Bronze', 'old', 5000);");
        }
        SqliteConnection.ClearAllPools();

        await StoreSetup.InitializeAsync(factory);
        await using (var db = factory.CreateDbContext())
        {
            var bronze = await db.Plans.SingleAsync(p => p.Name == "Bronze");
            Assert.Null(bronze.Policy);        // first start fills it in
            Assert.Equal(5000, bronze.EventsPerDay);
            Assert.Empty(await db.Apis.Where(a => a.Throttling != null).ToListAsync());
            Assert.Equal(0, await SchemaUpgrades.ApplyAsync(db, default)); // idempotent
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
