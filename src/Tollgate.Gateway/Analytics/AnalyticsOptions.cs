namespace Tollgate.Gateway.Analytics;

/// <summary>How the gateway records analytics.</summary>
/// <param name="Enabled">Off: nothing is recorded (metrics included), for comparing throughput.</param>
/// <param name="FlushInterval">How often live connections are sampled and a batch goes to the writer.</param>
/// <param name="QueueCapacity">Batches waiting for the writer; past it new batches are dropped and counted.</param>
/// <param name="MaxPendingConnections">Connection records kept between two flushes; past it they are dropped and counted.</param>
public sealed record AnalyticsOptions(bool Enabled, TimeSpan FlushInterval, int QueueCapacity = 64, int MaxPendingConnections = 20_000)
{
    public static readonly AnalyticsOptions Default = new(true, TimeSpan.FromSeconds(10));
}
