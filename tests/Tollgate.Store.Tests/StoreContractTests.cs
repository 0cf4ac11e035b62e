using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Analytics;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Applications;
using Tollgate.ControlPlane.Cluster;
using Tollgate.ControlPlane.Plans;
using Tollgate.ControlPlane.Subscriptions;
using Tollgate.ControlPlane.Users;
using Tollgate.Core.Analytics;
using Tollgate.Core.Plans;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store.Entities;
using Tollgate.Store.Tests.Infrastructure;

namespace Tollgate.Store.Tests;

/// <summary>
/// What the control plane does with its store, run once on SQLite and once on PostgreSQL (the subclasses): the same
/// calls must give the same answers on both.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly Actor Admin = new("admin", IsAdmin: true);
    private static readonly CancellationToken None = CancellationToken.None;

    protected ControlPlaneServices Cp { get; private set; } = null!;

    /// <summary>A new, empty store for this test: (store string, is PostgreSQL).</summary>
    protected abstract Task<(string Store, bool Postgres)> NewStoreAsync();

    public async Task InitializeAsync()
    {
        var (store, postgres) = await NewStoreAsync();
        Cp = await ControlPlaneServices.StartAsync(store, postgres);
    }

    public async Task DisposeAsync() => await Cp.DisposeAsync();

    protected Task<ControlPlaneServices> SecondControlPlaneAsync()
    {
        var info = Cp.Get<StoreInfo>();
        return ControlPlaneServices.StartAsync(info.IsPostgres ? info.ConnectionString : new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(info.ConnectionString).DataSource, info.IsPostgres);
    }

    [Fact]
    public async Task Initialising_again_changes_nothing()
    {
        await StoreSetup.InitializeAsync(Cp.Db);
        await StoreSetup.InitializeAsync(Cp.Db);
        await using var db = await Cp.Db.CreateDbContextAsync();
        Assert.Equal(0, await SchemaUpgrades.ApplyAsync(db, None));
        Assert.Equal(["Bronze", "Gold", "Silver", "Unlimited"], await db.Plans.OrderBy(p => p.Name).Select(p => p.Name).ToListAsync());
        // Every table of the model answers a query.
        Assert.Equal(0, await db.AnalyticsDays.CountAsync());
        Assert.Equal(0, await db.DataProtectionKeys.CountAsync());
        Assert.Equal(0, await db.RevokedTokens.CountAsync());
    }

    [Fact]
    public async Task An_older_schema_is_upgraded()
    {
        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            // Back to an earlier release: no throttling columns, no disabled flag, no analytics or key-ring tables.
            foreach (var sql in (string[])["ALTER TABLE plans DROP COLUMN \"Policy\"", "ALTER TABLE apis DROP COLUMN \"Throttling\"",
                         "ALTER TABLE users DROP COLUMN \"Disabled\"", "DROP TABLE analytics_days", "DROP TABLE data_protection_keys"])
#pragma warning disable EF1002 // constant statements
                await db.Database.ExecuteSqlRawAsync(sql);
#pragma warning restore EF1002
            // A user row as the earlier release wrote it (ids as each store keeps them: uuid, or upper-case text in SQLite).
            object id = Cp.Get<StoreInfo>().IsPostgres ? Guid.NewGuid() : Guid.NewGuid().ToString().ToUpperInvariant();
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO users (\"Id\", \"Username\", \"PasswordHash\", \"Roles\", \"CreatedAt\") VALUES ({id}, 'old', 'x', 'admin', {DateTime.UtcNow})");
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();

        await StoreSetup.InitializeAsync(Cp.Db);
        await using var check = await Cp.Db.CreateDbContextAsync();
        Assert.False((await check.Users.SingleAsync(u => u.Username == "old")).Disabled);
        Assert.Equal(4, await check.Plans.CountAsync(p => p.Policy == null)); // the column is back; the server's first start fills it in
        Assert.Equal(0, await check.AnalyticsDays.CountAsync());
        Assert.Equal(0, await check.DataProtectionKeys.CountAsync());
        Assert.Equal(0, await SchemaUpgrades.ApplyAsync(check, None));
    }

    [Fact]
    public async Task Apis_are_created_published_updated_and_listed_in_ordinal_order()
    {
        var catalog = Cp.Get<ApiCatalog>();
        var zebra = await CreateApiAsync("Zebra", "/zebra");
        var apple = await CreateApiAsync("apple", "/apple");
        Assert.Equal("Created", zebra.State);

        var published = await catalog.ChangeLifecycleAsync(zebra.Id, "Publish", None);
        Assert.True(published.Ok, published.Error?.Message);
        Assert.Equal("Published", published.Value!.State);

        // Byte order, as SQLite and C#'s ordinal comparison: upper case before lower case (a linguistic collation says otherwise).
        var names = (await catalog.ListAsync(null, null, None)).Select(a => a.Name).ToArray();
        Assert.Equal(["Zebra", "apple"], names);
        Assert.Equal(["apple"], (await catalog.ListAsync("APP", null, None)).Select(a => a.Name));

        var again = await catalog.FindAsync(zebra.Id, None);
        Assert.NotNull(again);
        Assert.Equal("/zebra", again.Context);
        Assert.Equal(zebra.CreatedAt, Utc(again.CreatedAt), TimeSpan.FromMilliseconds(1));
        Assert.True(again.IsDefaultVersion);

        // The same name and version twice is refused by the catalog, whatever the store.
        var clash = await catalog.CreateAsync(Request("Zebra", "/zebra2"), "admin", None);
        Assert.False(clash.Ok);
        Assert.NotNull(apple);
    }

    [Fact]
    public async Task Applications_get_keys_and_tokens()
    {
        var apps = Cp.Get<ApplicationService>();
        var app = await apps.CreateAsync(Admin, new ApplicationRequest("Weather app", "shows weather", "Bronze"), None);
        Assert.True(app.Ok, app.Error?.Message);
        Assert.Equal("Bronze", app.Value!.ThrottlingPolicy);

        var keys = await apps.GenerateKeysAsync(Admin, app.Value.Id, "production", None);
        Assert.True(keys.Ok, keys.Error?.Message);
        var twice = await apps.GenerateKeysAsync(Admin, app.Value.Id, "production", None);
        Assert.False(twice.Ok); // one key pair per type (unique index on both stores)

        var listed = await apps.ListKeysAsync(Admin, app.Value.Id, None);
        Assert.Equal(keys.Value!.ConsumerKey, Assert.Single(listed.Value!).ConsumerKey);

        var token = await apps.IssueTokenAsync(Admin, app.Value.Id, "production", 600, None);
        Assert.True(token.Ok, token.Error?.Message);
        Assert.Equal(3, token.Value!.AccessToken.Split('.').Length);

        var before = await TokensValidAfterAsync(keys.Value.ConsumerKey);
        await Task.Delay(1100); // the cut-off has whole seconds
        Assert.True((await apps.RevokeTokensAsync(Admin, app.Value.Id, "production", None)).Ok);
        Assert.True(await TokensValidAfterAsync(keys.Value.ConsumerKey) > before);

        // Another user does not see the application.
        Assert.False((await apps.GetAsync(new Actor("someone", false), app.Value.Id, None)).Ok);
    }

    [Fact]
    public async Task Subscriptions_are_made_listed_and_moved_to_another_plan()
    {
        var api = await CreateApiAsync("Quotes", "/quotes", publish: true);
        var app = (await Cp.Get<ApplicationService>().CreateAsync(Admin, new ApplicationRequest("Trader", null), None)).Value!;
        var subs = Cp.Get<SubscriptionService>();
        var sub = await subs.SubscribeAsync(Admin, new SubscriptionRequest(api.Id, app.Id, "Gold"), None);
        Assert.True(sub.Ok, sub.Error?.Message);
        Assert.Equal("Active", sub.Value!.Status);
        Assert.False((await subs.SubscribeAsync(Admin, new SubscriptionRequest(api.Id, app.Id, "Gold"), None)).Ok);

        var moved = await subs.ChangePlanAsync(Admin, sub.Value.Id, "silver", None);
        Assert.True(moved.Ok, moved.Error?.Message);
        Assert.Equal("Silver", moved.Value!.Plan);

        var listed = Assert.Single(await subs.ListAsync(api.Id, null, null, None));
        Assert.Equal(("Quotes", "Trader", "Silver"), (listed.ApiName, listed.ApplicationName, listed.Plan));
        Assert.Single(await subs.ListAsync(null, null, "admin", None));
        Assert.Empty(await subs.ListAsync(null, null, "ADMIN", None)); // owner names compare exactly on both stores
    }

    [Fact]
    public async Task Plans_are_created_listed_in_order_and_updated()
    {
        var plans = Cp.Get<PlanService>();
        var created = await plans.CreateAsync(new PlanDto("Copper", "small", "drop", [new LimitDto(60, "minute")], MaxConnections: 2), None);
        Assert.True(created.Ok, created.Error?.Message);
        Assert.False((await plans.CreateAsync(new PlanDto("copper", "again"), None)).Ok); // names differ only in case: taken
        Assert.Equal(["Bronze", "Copper", "Gold", "Silver", "Unlimited"], (await plans.ListAsync(None)).Select(p => p.Name));

        var updated = await plans.UpdateAsync("Copper", new PlanRequest(null, "bigger", 5000), None);
        Assert.True(updated.Ok, updated.Error?.Message);
        var copper = (await plans.FindAsync("copper", None))!;
        Assert.Equal(("bigger", 5000L, 2), (copper.Description, copper.EventsPerDay, copper.Policy.MaxConnections));
    }

    [Fact]
    public async Task Users_are_created_found_exactly_and_disabled()
    {
        var users = Cp.Get<UserService>();
        var alice = await users.CreateAsync(new UserRequest("Alice", "correct-horse-battery", ["subscriber"]), None);
        Assert.True(alice.Ok, alice.Error?.Message);
        Assert.NotNull(await users.FindAsync("Alice", None));
        Assert.Null(await users.FindAsync("alice", None));
        var disabled = await users.SetDisabledAsync(Admin, alice.Value!.Id, true, None);
        Assert.True(disabled.Ok, disabled.Error?.Message);
        Assert.True((await users.FindAsync("Alice", None))!.Disabled);
        Assert.False((await users.CreateAsync(new UserRequest("Alice", "another-password-1", ["subscriber"]), None)).Ok);
    }

    [Fact]
    public async Task Api_keys_are_stored_hashed_listed_and_revoked()
    {
        var app = (await Cp.Get<ApplicationService>().CreateAsync(Admin, new ApplicationRequest("Keyed", null), None)).Value!;
        var keys = Cp.Get<ApiKeyService>();
        var created = await keys.CreateAsync(Admin, app.Id, new ApiKeyRequest("ci", "sandbox"), None);
        Assert.True(created.Ok, created.Error?.Message);
        await using (var db = await Cp.Db.CreateDbContextAsync())
            Assert.DoesNotContain(await db.ApiKeys.Select(k => k.KeyHash).ToListAsync(), h => h == created.Value!.ApiKey);
        var listed = Assert.Single((await keys.ListAsync(Admin, app.Id, None)).Value!);
        Assert.Equal(("ci", "sandbox"), (listed.Name, listed.KeyType));
        Assert.True((await keys.RevokeAsync(Admin, app.Id, created.Value!.Id, None)).Ok);
        Assert.Empty((await keys.ListAsync(Admin, app.Id, None)).Value!);
    }

    [Fact]
    public async Task Revocations_are_persisted_and_survive_a_restart()
    {
        var list = Cp.Get<RevocationList>();
        await list.RevokeAsync("jti-live", DateTime.UtcNow.AddHours(1), None);
        await list.RevokeAsync("jti-live", DateTime.UtcNow.AddHours(1), None); // twice is fine
        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            db.RevokedTokens.Add(new RevokedTokenEntity { Jti = "jti-expired", ExpiresAt = DateTime.UtcNow.AddMinutes(-1), RevokedAt = DateTime.UtcNow.AddHours(-1) });
            await db.SaveChangesAsync();
        }

        // Another control plane (or this one after a restart) loads them from the store.
        await using var other = await SecondControlPlaneAsync();
        var reloaded = other.Get<RevocationList>();
        // Revoking what another control plane already stored (not yet loaded here) does not fail.
        await reloaded.RevokeAsync("jti-live", DateTime.UtcNow.AddHours(1), None);
        await list.RevokeAsync("jti-later", DateTime.UtcNow.AddHours(1), None);
        await reloaded.RefreshAsync(None); // what a control plane does when another announces a change
        Assert.True(reloaded.IsRevoked("jti-later"));
        await reloaded.LoadAsync(None);
        Assert.True(reloaded.IsRevoked("jti-live"));
        Assert.False(reloaded.IsRevoked("jti-expired"));
        await using var check = await Cp.Db.CreateDbContextAsync();
        Assert.Equal(["jti-later", "jti-live"], await check.RevokedTokens.OrderBy(r => r.Jti).Select(r => r.Jti).ToListAsync()); // the expired one was purged
    }

    [Fact]
    public async Task Analytics_batches_are_upserted_queried_and_purged()
    {
        var store = Cp.Get<AnalyticsStore>();
        var api = await CreateApiAsync("Metered", "/metered", publish: true);
        var app = Guid.NewGuid();
        var now = new DateTime(2026, 11, 21, 12, 30, 0, DateTimeKind.Utc);
        var minute = new DateTimeOffset(now).ToUnixTimeSeconds() / 60;

        await store.WriteAsync(new AnalyticsBatch(
            [new MinuteSample(minute, api.Id, app, 10, 100, 8, 80, 2, 1, 0, 1, 0, 2)],
            [Connection(now, api.Id, app, "accepted", 5.5), Connection(now, api.Id, app, "401", 1.0)]), None);
        // The second batch adds to the same minute; no open count: the first one stays.
        await store.WriteAsync(new AnalyticsBatch(
            [new MinuteSample(minute, api.Id, app, 5, 50, 4, 40, 1, 0, 1, 2, 3, null),
             new MinuteSample(minute - 3 * 24 * 60, api.Id, app, 7, 70, 7, 70, 1, 0, 1, 0, 0, 0)],
            [Connection(now.AddDays(-3), api.Id, app, "accepted", 2.0)]), None);

        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            var row = await db.AnalyticsMinutes.SingleAsync(m => m.Minute == minute);
            Assert.Equal((15L, 150L, 12L, 120L, 3L, 1L, 1L, 3L, 3L, 2), (row.MessagesIn, row.BytesIn, row.MessagesOut, row.BytesOut, row.Opened,
                row.Refused, row.Closed, row.Throttled, row.Dropped, row.OpenAtEnd));
            var day = await db.AnalyticsDays.SingleAsync(d => d.Day == minute / 1440);
            Assert.Equal(15, day.MessagesIn);
            Assert.Equal(2, await db.AnalyticsDays.CountAsync());

            // Every column of a connection row as written (SQLite steps its own statement; PostgreSQL goes through ADO.NET).
            var accepted = await db.AnalyticsConnections.SingleAsync(c => c.Result == "accepted" && c.HandshakeMs == 5.5);
            Assert.Equal(
                (new DateTimeOffset(now).ToUnixTimeMilliseconds(), api.Id.ToString("D"), "Metered", app.ToString("D"), "app", "admin", "production",
                 "127.0.0.1", "test-ü ✓", "accepted", (string?)null, 5.5, 0.5, 1.0, 100.0, 1L, 10L, 1L, 10L, (int?)1000, (string?)null, (string?)"client"),
                (accepted.At, accepted.ApiId, accepted.Api, accepted.ApplicationId, accepted.Application, accepted.Subscriber, accepted.KeyType,
                 accepted.Client, accepted.UserAgent, accepted.Result, accepted.Reason, accepted.HandshakeMs, accepted.AuthMs, accepted.BackendMs,
                 accepted.DurationMs, accepted.MessagesIn, accepted.BytesIn, accepted.MessagesOut, accepted.BytesOut, accepted.CloseCode,
                 accepted.CloseReason, accepted.ClosedBy));
            var refused = await db.AnalyticsConnections.SingleAsync(c => c.Result == "401");
            Assert.Equal(("no token", (int?)null, (string?)null), (refused.Reason, refused.CloseCode, refused.ClosedBy));
        }

        var report = await Cp.Get<AnalyticsQueries>().ReportAsync(AnalyticsScope.Api, api.Id, AnalyticsRange.Hour, now.AddMinutes(1), None);
        Assert.Equal(15, report.Totals.MessagesIn);
        Assert.Equal(3, report.Totals.Connections);
        Assert.Equal("401", Assert.Single(report.Refusals).Status);
        var week = await Cp.Get<AnalyticsQueries>().ReportAsync(AnalyticsScope.All, null, AnalyticsRange.Month, now, None);
        Assert.Equal(22, week.Totals.MessagesIn);

        // Retention: minute and connection rows older than a day go, day rows older than two days go.
        var purged = await store.PurgeAsync(now, TimeSpan.FromDays(1), TimeSpan.FromDays(1), TimeSpan.FromDays(2), None);
        Assert.Equal(3, purged);
        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            Assert.Equal(minute, (await db.AnalyticsMinutes.SingleAsync()).Minute);
            Assert.Equal(2, await db.AnalyticsConnections.CountAsync());
            Assert.Equal(minute / 1440, (await db.AnalyticsDays.SingleAsync()).Day);
        }
    }

    [Fact]
    public async Task A_node_heartbeat_inserts_its_row_then_updates_it_and_forget_removes_it()
    {
        var nodes = new GatewayNodeService(Cp.Db); // the server registers it with the cluster endpoints
        var started = new DateTime(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc);
        await nodes.RecordAsync(new GatewayNodeReport("edge-1", "1.0", 3, 10, started, "cp-a:9443", "10.0.0.5"), None);
        await nodes.RecordAsync(new GatewayNodeReport("edge-2", "1.0", 3, 0, started, "cp-a:9443", "10.0.0.6"), None);
        // The next heartbeat of edge-1 arrives at another control plane, after a restart: every column follows it.
        await nodes.RecordAsync(new GatewayNodeReport("edge-1", "1.1", 7, 42, started.AddHours(1), "cp-b:9443", "10.0.0.7"), None);

        var listed = await nodes.ListAsync(None);
        Assert.Equal(["edge-1", "edge-2"], listed.Select(n => n.Name));
        var edge1 = listed[0];
        Assert.Equal(("1.1", 7L, 42, started.AddHours(1), "cp-b:9443", "10.0.0.7", true),
            (edge1.Version, edge1.SnapshotVersion, edge1.OpenConnections, edge1.StartedAt, edge1.ControlPlane, edge1.Address, edge1.Online));
        Assert.InRange(edge1.LastSeen, DateTime.UtcNow.AddSeconds(-30), DateTime.UtcNow.AddSeconds(1));

        Assert.True(await nodes.ForgetAsync("edge-1", None));
        Assert.Equal(["edge-2"], (await nodes.ListAsync(None)).Select(n => n.Name));
    }

    [Fact]
    public async Task Times_keep_their_instant_whatever_their_kind()
    {
        var instant = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var id = Guid.NewGuid();
        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            // Unspecified, as a time read back from SQLite is: stored as the same UTC instant.
            db.Users.Add(new UserEntity { Id = id, Username = "kind", PasswordHash = "x", Roles = "", CreatedAt = DateTime.SpecifyKind(instant, DateTimeKind.Unspecified) });
            await db.SaveChangesAsync();
        }
        await using (var db = await Cp.Db.CreateDbContextAsync())
        {
            var user = await db.Users.SingleAsync(u => u.Id == id);
            Assert.Equal(instant, Utc(user.CreatedAt));
            Assert.Equal(1, await db.Users.CountAsync(u => u.CreatedAt < instant.AddSeconds(1) && u.CreatedAt > instant.AddSeconds(-1)));
        }
    }

    private async Task<ApiEntity> CreateApiAsync(string name, string context, bool publish = false)
    {
        var created = await Cp.Get<ApiCatalog>().CreateAsync(Request(name, context, publish), "admin", None);
        Assert.True(created.Ok, created.Error?.Message);
        return created.Value!;
    }

    private static ApiRequest Request(string name, string context, bool publish = false) =>
        new(name, context, "1.0.0", new EndpointDto("ws://localhost:9098/echo", null), ["Gold", "Silver"], "test API", ["t"], null, publish);

    private async Task<DateTime> TokensValidAfterAsync(string consumerKey)
    {
        await using var db = await Cp.Db.CreateDbContextAsync();
        return Utc((await db.ApplicationKeys.SingleAsync(k => k.ConsumerKey == consumerKey)).TokensValidAfter);
    }

    /// <summary>SQLite hands times back without a kind; both stores hold UTC.</summary>
    private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Utc ? t : DateTime.SpecifyKind(t, DateTimeKind.Utc);

    private static ConnectionRecord Connection(DateTime at, Guid api, Guid app, string result, double handshakeMs) =>
        new(at, api, "Metered", app, "app", "admin", "production", "127.0.0.1", "test-ü ✓", result, result == "accepted" ? null : "no token",
            handshakeMs, 0.5, 1.0, 100, 1, 10, 1, 10, result == "accepted" ? 1000 : null, null, result == "accepted" ? "client" : null);
}
