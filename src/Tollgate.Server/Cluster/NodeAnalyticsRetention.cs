using Tollgate.ControlPlane.Analytics;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.Cluster;

/// <summary>
/// Analytics retention for a control plane without its own gateway: the analytics writer applies retention as it drains
/// local batches, and a control-plane-only process has none (its nodes' batches are written as they arrive on the stream).
/// </summary>
internal sealed class NodeAnalyticsRetention(AnalyticsStore store, ServerOptions options, ILogger<NodeAnalyticsRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var settings = options.AnalyticsOrDefault;
                var removed = await store.PurgeAsync(DateTime.UtcNow, settings.Retention, settings.Retention, settings.DailyRetention, stoppingToken);
                if (removed > 0)
                    logger.LogInformation("Analytics retention removed {Rows} rows older than {Days} days", removed, settings.Retention.TotalDays);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Analytics retention failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
