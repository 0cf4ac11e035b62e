using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.ControlPlane;
using Tollgate.Core.Changes;
using Tollgate.Core.Plans;
using Tollgate.KeyManager;
using Tollgate.Store.Entities;

namespace Tollgate.Store.Tests.Infrastructure;

/// <summary>
/// The control plane's services (store, key manager, catalog, applications, ...) on one store, in process: what the REST API
/// and the portals call. Two instances on one PostgreSQL database stand for two control planes.
/// </summary>
public sealed class ControlPlaneServices : IAsyncDisposable
{
    private ControlPlaneServices(ServiceProvider services, ChangeFeed changes, string dataFolder)
    {
        Services = services;
        Changes = changes;
        DataFolder = dataFolder;
    }

    public ServiceProvider Services { get; }
    public ChangeFeed Changes { get; }
    public string DataFolder { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public IDbContextFactory<TollgateDb> Db => Get<IDbContextFactory<TollgateDb>>();

    /// <summary>Registers the services on <paramref name="store"/>, creates or upgrades the schema and seeds the default plans.</summary>
    public static async Task<ControlPlaneServices> StartAsync(string store, bool postgres, string? dataFolder = null)
    {
        dataFolder ??= Path.Combine(Path.GetTempPath(), "tollgate-store-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dataFolder);
        var changes = new ChangeFeed();
        // No gateway here: every change counts as live at once, so callers do not wait for a snapshot.
        changes.Changed += changes.MarkApplied;
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(changes)
            .AddTollgateStore(store, postgres)
            .AddTollgateKeyManager(dataFolder, new KeyManagerOptions("https://localhost:9443", TimeSpan.FromHours(1), TimeSpan.FromDays(14), TimeSpan.FromDays(365)))
            .AddTollgateControlPlane(new GatewayUrls("localhost", 9099, 0, 9443))
            .BuildServiceProvider();
        var cp = new ControlPlaneServices(services, changes, dataFolder);
        await StoreSetup.InitializeAsync(cp.Db, cp.SeedPlansAsync);
        return cp;
    }

    /// <summary>The default plans, as the server's first start adds them.</summary>
    private async Task SeedPlansAsync(CancellationToken ct)
    {
        await using var db = await Db.CreateDbContextAsync(ct);
        var existing = await db.Plans.Select(p => p.Name).ToListAsync(ct);
        foreach (var plan in DefaultPlans.All.Where(p => !existing.Contains(p.Name)))
            db.Plans.Add(new PlanEntity { Name = plan.Name, Description = plan.Description, EventsPerDay = plan.EventsPerDay, Policy = PlanJson.Serialize(plan) });
        await db.SaveChangesAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
