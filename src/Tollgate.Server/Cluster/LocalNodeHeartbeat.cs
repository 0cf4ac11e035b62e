using Tollgate.ControlPlane.Cluster;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.Cluster;

/// <summary>The all-in-one process lists its own gateway among the nodes, with the same heartbeat a gateway node sends.</summary>
internal sealed class LocalNodeHeartbeat(GatewayNodeService nodes, SnapshotHolder snapshots, LiveConnections live, ServerOptions options,
    ILogger<LocalNodeHeartbeat> logger) : BackgroundService
{
    private readonly DateTime _startedAt = DateTime.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        do
        {
            try
            {
                await nodes.RecordAsync(new GatewayNodeReport(options.NodeName, TollgateVersion.Current, snapshots.Current.Version, live.Count,
                    _startedAt, $"{Environment.MachineName}:{options.HttpsPort}", "local"), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not record this process's gateway node heartbeat");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
