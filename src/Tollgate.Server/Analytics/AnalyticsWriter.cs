using Tollgate.ControlPlane.Analytics;
using Tollgate.Gateway.Analytics;

namespace Tollgate.Server.Analytics;

/// <summary>
/// Drains the gateway's analytics batches into the store, in the background, and applies retention once an hour.
/// A failed batch is logged and skipped (analytics never stop traffic).
/// </summary>
internal sealed class AnalyticsWriter(AnalyticsRecorder recorder, AnalyticsStore store, Hosting.ServerOptions options, ILogger<AnalyticsWriter> logger)
    : BackgroundService
{
    private DateTime _nextPurge = DateTime.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batch in recorder.Batches.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await store.WriteAsync(batch, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not write an analytics batch ({Minutes} minute rows, {Connections} connections): dropped",
                        batch.Minutes.Count, batch.Connections.Count);
                }
                await PurgeIfDueAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PurgeIfDueAsync(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        if (now < _nextPurge)
            return;
        _nextPurge = now.AddHours(1);
        try
        {
            var retention = options.AnalyticsOrDefault.Retention;
            var removed = await store.PurgeAsync(now, retention, retention, options.AnalyticsOrDefault.DailyRetention, ct);
            if (removed > 0)
                logger.LogInformation("Analytics retention removed {Rows} rows older than {Days} days", removed, retention.TotalDays);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Analytics retention failed");
        }
    }
}

/// <summary>The control plane's view of the gateway's open connections, for the analytics pages.</summary>
internal sealed class LiveConnectionCounts(Gateway.Connections.LiveConnections live) : ILiveConnectionCounts
{
    public int Count(Guid? apiId = null, Guid? applicationId = null) =>
        apiId is null && applicationId is null ? live.Count : live.List(applicationId, apiId).Count;
}
