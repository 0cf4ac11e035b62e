using Microsoft.EntityFrameworkCore;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Cluster;

/// <summary>A heartbeat as the control plane received it.</summary>
public sealed record GatewayNodeReport(string Name, string TollgateVersion, long SnapshotVersion, int OpenConnections, DateTime StartedAt,
    string ControlPlane, string Address);

/// <summary>A gateway node as the Admin portal and <c>GET /api/admin/gateways</c> show it.</summary>
public sealed record GatewayNodeInfo(string Name, string Version, long SnapshotVersion, DateTime LastSeen, int OpenConnections, DateTime StartedAt,
    string ControlPlane, string Address, bool Online);

/// <summary>
/// Gateway nodes' last heartbeats, kept in the store (not in memory) so that every control plane on the same database
/// lists every node, whichever control plane it is connected to.
/// </summary>
public sealed class GatewayNodeService(IDbContextFactory<TollgateDb> dbFactory)
{
    /// <summary>A node is online when a heartbeat (every 2 s) arrived within this window.</summary>
    public static readonly TimeSpan OnlineWindow = TimeSpan.FromSeconds(10);

    public async Task RecordAsync(GatewayNodeReport report, CancellationToken ct)
    {
        var name = report.Name.Length > 200 ? report.Name[..200] : report.Name;
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = await db.GatewayNodes.FindAsync([name], ct);
            if (row is null)
                db.GatewayNodes.Add(row = new GatewayNodeEntity { Name = name });
            row.TollgateVersion = Truncate(report.TollgateVersion, 100);
            row.SnapshotVersion = report.SnapshotVersion;
            row.OpenConnections = report.OpenConnections;
            row.StartedAt = Unix(report.StartedAt);
            row.LastSeen = Unix(DateTime.UtcNow);
            row.ControlPlane = Truncate(report.ControlPlane, 200);
            row.Address = Truncate(report.Address, 100);
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another control plane inserted the same node meanwhile: the second try updates its row.
            }
        }
    }

    public async Task<IReadOnlyList<GatewayNodeInfo>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.GatewayNodes.AsNoTracking().ToListAsync(ct);
        var now = DateTime.UtcNow;
        return rows.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r =>
        {
            var lastSeen = DateTime.UnixEpoch.AddMilliseconds(r.LastSeen);
            return new GatewayNodeInfo(r.Name, r.TollgateVersion, r.SnapshotVersion, lastSeen, r.OpenConnections,
                DateTime.UnixEpoch.AddMilliseconds(r.StartedAt), r.ControlPlane, r.Address, now - lastSeen <= OnlineWindow);
        }).ToArray();
    }

    /// <summary>Removes a node from the list (a node that was shut down for good); a running node comes back with its next heartbeat.</summary>
    public async Task<bool> ForgetAsync(string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.GatewayNodes.Where(n => n.Name == name).ExecuteDeleteAsync(ct) > 0;
    }

    private static long Unix(DateTime utc) => (long)(DateTime.SpecifyKind(utc, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds;

    private static string Truncate(string s, int max) => s.Length > max ? s[..max] : s;
}
