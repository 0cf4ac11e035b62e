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

    /// <summary>
    /// One statement inserts or updates the node's row: two control planes receiving the same node's heartbeats cannot
    /// race between a read and a write, and a heartbeat every 2 s costs no change tracking (whose methods the JIT would
    /// still be compiling minutes after start, while the gateway serves traffic).
    /// </summary>
    public async Task RecordAsync(GatewayNodeReport report, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.ExecuteSqlRawAsync(Upsert,
            [Truncate(report.Name, 200), Truncate(report.TollgateVersion, 100), report.SnapshotVersion, report.OpenConnections,
             Unix(report.StartedAt), Unix(DateTime.UtcNow), Truncate(report.ControlPlane, 200), Truncate(report.Address, 100)], ct);
    }

    // Valid on SQLite and PostgreSQL alike (as the analytics upserts): quoted identifiers, the new values from "excluded".
    private const string Upsert = """
        INSERT INTO "gateway_nodes" ("Name", "TollgateVersion", "SnapshotVersion", "OpenConnections", "StartedAt", "LastSeen", "ControlPlane", "Address")
        VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7})
        ON CONFLICT ("Name") DO UPDATE SET
          "TollgateVersion" = excluded."TollgateVersion", "SnapshotVersion" = excluded."SnapshotVersion",
          "OpenConnections" = excluded."OpenConnections", "StartedAt" = excluded."StartedAt", "LastSeen" = excluded."LastSeen",
          "ControlPlane" = excluded."ControlPlane", "Address" = excluded."Address"
        """;

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
