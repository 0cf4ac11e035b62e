using System.Diagnostics.Metrics;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// The gateway's instruments, all on one <see cref="Meter"/> named "Tollgate.Gateway". Names follow Prometheus
/// conventions and are a contract (dashboards rely on them); labels: <c>api</c> (context/version),
/// <c>direction</c> (<c>in</c> = client to backend, <c>out</c> = backend to client), <c>result</c>.
/// Message and byte counters are fed with deltas by the analytics sampler, never per message.
/// <c>tollgate_gateway_throttled_total</c> is recorded by the throttling code itself (<see cref="Throttling.ThrottleMetrics"/>, same meter name).
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Tollgate.Gateway";

    /// <summary>Seconds from the upgrade request to the upgrade (or refusal).</summary>
    public static readonly IReadOnlyList<double> HandshakeBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter = new(MeterName);

    public GatewayMetrics()
    {
        Messages = _meter.CreateCounter<long>("tollgate_gateway_messages_total", "{message}", "WebSocket data messages relayed, by API and direction.");
        Bytes = _meter.CreateCounter<long>("tollgate_gateway_bytes_total", "By", "Payload bytes of relayed data messages, by API and direction.");
        Connections = _meter.CreateCounter<long>("tollgate_gateway_connections_total", "{connection}", "Connection attempts by API and result (accepted or the refusal's HTTP status).");
        OpenConnections = _meter.CreateUpDownCounter<long>("tollgate_gateway_open_connections", "{connection}", "Connections open right now, by API.");
        HandshakeSeconds = _meter.CreateHistogram("tollgate_gateway_handshake_seconds", "s", "Time from the upgrade request to the upgrade or refusal.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HandshakeBuckets });
        AnalyticsDropped = _meter.CreateCounter<long>("tollgate_gateway_analytics_dropped_batches_total", "{batch}", "Analytics batches dropped because the store writer fell behind.");
    }

    internal Counter<long> Messages { get; }
    internal Counter<long> Bytes { get; }
    internal Counter<long> Connections { get; }
    internal UpDownCounter<long> OpenConnections { get; }
    internal Histogram<double> HandshakeSeconds { get; }
    internal Counter<long> AnalyticsDropped { get; }

    public void Dispose() => _meter.Dispose();
}
