using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Analytics;
using Tollgate.Core.Analytics;
using Tollgate.Store.Tests.Infrastructure;

namespace Tollgate.Store.Tests;

/// <summary>
/// The SQLite analytics writer steps its own statements on its own connection: a lock held by another connection is
/// waited for, and a batch SQLite refuses leaves nothing behind.
/// </summary>
public sealed class SqliteAnalyticsWriteTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"tollgate-analytics-{Guid.NewGuid():N}.db");
    private ControlPlaneServices _cp = null!;

    public async Task InitializeAsync() => _cp = await ControlPlaneServices.StartAsync(_file, postgres: false);

    public async Task DisposeAsync()
    {
        await _cp.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_file + suffix);
    }

    [Theory]
    [InlineData(true)] // the store's own connection string: SQLite's shared cache answers SQLITE_LOCKED
    [InlineData(false)] // a connection of another process's kind: SQLITE_BUSY
    public async Task A_batch_waits_for_another_writer_and_lands_once_it_commits(bool sharedCache)
    {
        var store = _cp.Get<AnalyticsStore>();
        var app = Guid.NewGuid();
        await store.WriteAsync(Batch(app, minute: 1, messages: 1), None); // the writer's connection and statements exist

        await using var other = new SqliteConnection(sharedCache ? _cp.Get<StoreInfo>().ConnectionString : $"Data Source={_file};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; DELETE FROM \"analytics_connections\";";
            await begin.ExecuteNonQueryAsync();
        }
        var write = Task.Run(() => store.WriteAsync(Batch(app, minute: 2, messages: 5), None));
        await Task.Delay(500);
        Assert.False(write.IsCompleted, "the batch was written while another connection held the write lock");

        await using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }
        await write.WaitAsync(TimeSpan.FromSeconds(20));

        await using var db = await _cp.Db.CreateDbContextAsync();
        Assert.Equal(5, (await db.AnalyticsMinutes.SingleAsync(m => m.Minute == 2)).MessagesIn);
        Assert.Equal(1, await db.AnalyticsConnections.CountAsync()); // the other writer's delete came first, then the new row
    }

    [Fact]
    public async Task A_refused_batch_leaves_no_row_and_the_next_batch_lands()
    {
        var store = _cp.Get<AnalyticsStore>();
        var app = Guid.NewGuid();
        var bad = Batch(app, minute: 7, messages: 3) with
        {
            Connections = [Record(app), Record(app) with { Api = null! }], // the column is NOT NULL: SQLite refuses the second row
        };

        var error = await Assert.ThrowsAsync<SqliteException>(() => store.WriteAsync(bad, None));
        Assert.Contains("NOT NULL", error.Message);
        await using (var db = await _cp.Db.CreateDbContextAsync())
        {
            Assert.Equal(0, await db.AnalyticsMinutes.CountAsync());
            Assert.Equal(0, await db.AnalyticsDays.CountAsync());
            Assert.Equal(0, await db.AnalyticsConnections.CountAsync());
        }

        await store.WriteAsync(Batch(app, minute: 8, messages: 4), None);
        await using (var db = await _cp.Db.CreateDbContextAsync())
        {
            Assert.Equal(8, (await db.AnalyticsMinutes.SingleAsync()).Minute);
            Assert.Equal(4, (await db.AnalyticsDays.SingleAsync()).MessagesIn);
            Assert.Equal(1, await db.AnalyticsConnections.CountAsync());
        }
    }

    private static AnalyticsBatch Batch(Guid app, long minute, long messages) =>
        new([new MinuteSample(minute, Guid.Empty, app, messages, 10 * messages, messages, 10 * messages, 1, 0, 1, 0, 0, 0)], [Record(app)]);

    private static ConnectionRecord Record(Guid app) =>
        new(DateTime.UtcNow, Guid.Empty, "Api", app, "app", "admin", "production", "127.0.0.1", "ua", "accepted", null,
            1.0, 0.5, 0.3, 10, 1, 10, 1, 10, 1000, null, "client");
}
