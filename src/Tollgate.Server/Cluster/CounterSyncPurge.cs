namespace Tollgate.Server.Cluster;

/// <summary>Purges finished quota windows, old rate totals and connection counts of nodes long gone, every minute.</summary>
internal sealed partial class CounterSyncPurge(CounterSyncAggregator aggregator, ILogger<CounterSyncPurge> logger) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await aggregator.PurgeAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database may be down; the exchanges say so. Try again next time.
                    LogPurgeFailed(logger, e.GetBaseException().Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1122, Level = LogLevel.Debug, Message = "Counter purge failed: {Reason}")]
    private static partial void LogPurgeFailed(ILogger logger, string reason);
}
