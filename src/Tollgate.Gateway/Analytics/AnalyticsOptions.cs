namespace Tollgate.Gateway.Analytics;

/// <summary>How the gateway records analytics.</summary>
/// <param name="Enabled">Off: nothing is recorded (metrics included), for comparing throughput.</param>
/// <param name="FlushInterval">How often live connections are sampled and a batch goes to the writer.</param>
/// <param name="QueueCapacity">Batches waiting for the writer; past it new batches are dropped and counted.</param>
/// <param name="MaxPendingConnections">Connection records kept between two flushes; past it they are dropped and counted.</param>
/// <param name="RecordsPerBatch">
/// This many connection records go to the writer at once, without waiting for the interval: a busy gateway (thousands of
/// connections a second) keeps every record, and records die young instead of piling up in the heap for 10 s.
/// </param>
public sealed record AnalyticsOptions(bool Enabled, TimeSpan FlushInterval, int QueueCapacity = 64, int MaxPendingConnections = 20_000,
    int RecordsPerBatch = 1_000)
{
    public static readonly AnalyticsOptions Default = new(true, TimeSpan.FromSeconds(10));
}
