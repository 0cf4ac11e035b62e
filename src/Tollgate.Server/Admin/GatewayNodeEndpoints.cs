using Tollgate.ControlPlane.Cluster;
using Tollgate.Gateway.Snapshot;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;

namespace Tollgate.Server.Admin;

/// <summary>Gateway nodes that follow this control plane (or another one on the same database), from their heartbeats.</summary>
internal static class GatewayNodeEndpoints
{
    public static void MapGatewayNodeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/gateways").RequireAuthorization(Policies.Admin);

        group.MapGet("", async (GatewayNodeService nodes, SnapshotHolder snapshots, CancellationToken ct) =>
        {
            var items = await nodes.ListAsync(ct);
            return Results.Ok(new
            {
                count = items.Count,
                controlPlaneSnapshotVersion = snapshots.Current.Version,
                onlineWindowSeconds = (int)GatewayNodeService.OnlineWindow.TotalSeconds,
                items = items.Select(n => new
                {
                    name = n.Name,
                    version = n.Version,
                    snapshotVersion = n.SnapshotVersion,
                    controlPlaneSnapshotVersion = snapshots.Current.Version,
                    lastSeen = n.LastSeen,
                    openConnections = n.OpenConnections,
                    startedAt = n.StartedAt,
                    online = n.Online,
                    controlPlane = n.ControlPlane,
                    address = n.Address,
                }),
            });
        });

        group.MapDelete("/{name}", async (string name, GatewayNodeService nodes, CancellationToken ct) =>
            await nodes.ForgetAsync(name, ct) ? Results.NoContent() : Problem.NotFound($"There is no gateway node named '{name}'."));
    }
}
