using System.Diagnostics.Metrics;

namespace Tollgate.Gateway.Throttling;

/// <summary>
/// Throttling decisions as <see cref="System.Diagnostics.Metrics"/> instruments of the <c>Tollgate.Gateway</c> meter,
/// for the /metrics exporter: <c>tollgate_gateway_throttled_total{api,action,scope}</c> where action is
/// <c>shape</c> (a message held), <c>drop</c>, <c>close</c> (a connection closed by a limit or spent quota) or
/// <c>reject</c> (a handshake refused with 429), and scope is <c>plan</c>, <c>application</c>, <c>api</c> or <c>connection</c>;
/// on a gateway node of a cluster, <c>tollgate_gateway_throttle_cluster_synced{node}</c> (1 shared limits, 0 local only)
/// and <c>tollgate_gateway_throttle_cluster_sync_failures_total{node}</c>.
/// </summary>
public static class ThrottleMetrics
{
    public const string ThrottledName = "tollgate_gateway_throttled_total";
    public const string DelayName = "tollgate_gateway_throttle_delay_seconds_total";
    public const string ClusterSyncedName = "tollgate_gateway_throttle_cluster_synced";
    public const string ClusterSyncFailuresName = "tollgate_gateway_throttle_cluster_sync_failures_total";

    // The same meter name as the analytics instruments (the exporter reads them together); a static meter because
    // decisions are made deep in per-connection code that has no DI.
    private static readonly Meter Meter = new(Analytics.GatewayMetrics.MeterName);

    private static readonly Counter<long> Throttled = Meter.CreateCounter<long>(ThrottledName, "{decision}",
        "Messages and connections the gateway throttled, by API, action (shape, drop, close, reject) and scope (plan, application, api, connection).");

    private static readonly Counter<double> Delay = Meter.CreateCounter<double>(DelayName, "s",
        "Total time messages were held by shaping, by API.");

    // An up-down counter (+1 on becoming shared, -1 on leaving) rather than an observable gauge: the exporter sums what it is given.
    private static readonly UpDownCounter<long> ClusterSynced = Meter.CreateUpDownCounter<long>(ClusterSyncedName, "{node}",
        "1 while this gateway node shares its throttling counters with the other nodes (cluster-wide limits); 0 while it enforces local limits only because the control plane or its database cannot be reached.");

    private static readonly Counter<long> ClusterSyncFailures = Meter.CreateCounter<long>(ClusterSyncFailuresName, "{exchange}",
        "Counter exchanges with the control plane that failed (the node enforced local limits meanwhile).");

    internal static void Record(string api, string action, string scope) =>
        Throttled.Add(1, new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("action", action),
            new KeyValuePair<string, object?>("scope", scope));

    internal static void Held(string api, long delayNs) =>
        Delay.Add(delayNs / 1e9, new KeyValuePair<string, object?>("api", api));

    internal static void ClusterSync(string node, long delta) =>
        ClusterSynced.Add(delta, new KeyValuePair<string, object?>("node", node));

    internal static void ClusterSyncFailed(string node) =>
        ClusterSyncFailures.Add(1, new KeyValuePair<string, object?>("node", node));
}
