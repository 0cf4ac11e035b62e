using System.Threading.Channels;
using Tollgate.Core.Changes;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Server.GatewaySync;

/// <summary>
/// Rebuilds the gateway snapshot after control-plane changes and swaps it in. Bursts of changes
/// coalesce into one rebuild; a rebuild that fails keeps the last good snapshot and retries.
/// </summary>
internal sealed class SnapshotPublisher(
    ChangeFeed changes,
    SnapshotBuilder builder,
    SnapshotHolder holder,
    ILogger<SnapshotPublisher> logger) : BackgroundService
{
    private readonly Channel<long> _pending = Channel.CreateBounded<long>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    private long _builds;

    /// <summary>Builds the first snapshot before the gateway accepts connections.</summary>
    public async Task PublishInitialAsync(CancellationToken ct)
    {
        changes.Changed += version => _pending.Writer.TryWrite(version);
        var included = changes.Version;
        holder.Swap(await builder.BuildAsync(++_builds, ct));
        changes.MarkApplied(included);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in _pending.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                // A change that lands during the build queues another rebuild, so none is missed.
                var version = ++_builds;
                // Every change numbered up to here is committed, so this build includes it.
                var included = changes.Version;
                var snapshot = await builder.BuildAsync(version, stoppingToken);
                holder.Swap(snapshot);
                changes.MarkApplied(included);
                logger.LogDebug("Gateway snapshot {Version} installed ({Routes} APIs, {Subscriptions} subscriptions)",
                    version, snapshot.RoutesByContextAndVersion.Count, snapshot.Subscriptions.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Rebuilding the gateway snapshot failed; the gateway keeps the previous one and retries");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                _pending.Writer.TryWrite(0);
            }
        }
    }
}
