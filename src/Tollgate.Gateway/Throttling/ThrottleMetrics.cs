using System.Diagnostics.Metrics;

namespace Tollgate.Gateway.Throttling;

/// <summary>
/// Throttling decisions as <see cref="System.Diagnostics.Metrics"/> instruments of the <c>Tollgate.Gateway</c> meter,
/// for the /metrics exporter: <c>tollgate_gateway_throttled_total{api,action,scope}</c> where action is
/// <c>shape</c> (a message held), <c>drop</c>, <c>close</c> (a connection closed by a limit or spent quota) or
/// <c>reject</c> (a handshake refused with 429), and scope is <c>plan</c>, <c>application</c>, <c>api</c> or <c>connection</c>.
/// </summary>
public static class ThrottleMetrics
{
    public const string ThrottledName = "tollgate_gateway_throttled_total";
    public const string DelayName = "tollgate_gateway_throttle_delay_seconds_total";

    // The same meter name as the analytics instruments (the exporter reads them together); a static meter because
    // decisions are made deep in per-connection code that has no DI.
    private static readonly Meter Meter = new(Analytics.GatewayMetrics.MeterName);

    private static readonly Counter<long> Throttled = Meter.CreateCounter<long>(ThrottledName, "{decision}",
        "Messages and connections the gateway throttled, by API, action (shape, drop, close, reject) and scope (plan, application, api, connection).");

    private static readonly Counter<double> Delay = Meter.CreateCounter<double>(DelayName, "s",
        "Total time messages were held by shaping, by API.");

    internal static void Record(string api, string action, string scope) =>
        Throttled.Add(1, new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("action", action),
            new KeyValuePair<string, object?>("scope", scope));

    internal static void Held(string api, long delayNs) =>
        Delay.Add(delayNs / 1e9, new KeyValuePair<string, object?>("api", api));
}
