using Microsoft.Extensions.Logging;
using Tollgate.Core.Plans;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Throttling;

/// <summary>
/// Resolves which limits apply to a connection (its subscription's plan, its application's policy, the API's
/// policy, the per-connection cap), admits or refuses it (429 with Retry-After for a connection limit or a spent
/// quota), and keeps live connections' rules current when a new snapshot arrives.
/// </summary>
internal sealed partial class ThrottleService(IThrottleCounterStore store, ILogger<ThrottleService> logger)
{
    public const int ConnectionLimitRetryAfterSeconds = 5;

    public IThrottleCounterStore Store => store;

    /// <summary>Admits a connection that passed the other checks, or says why not (429).</summary>
    public (ConnectionThrottle? Throttle, Refusal? Refusal) Open(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity, long connectionId)
    {
        var rules = Resolve(snapshot, route, identity, connectionId);
        long utc = DateTime.UtcNow.Ticks;
        foreach (var quota in rules.Quotas)
        {
            bool spent = (quota.EventQuota is { } e && e.IsSpent(quota.Limit.Events!.Value, utc))
                         || (quota.ByteQuota is { } b && b.IsSpent(quota.Limit.Bytes!.Value, utc));
            if (!spent)
                continue;
            ReleaseAll(rules.Held);
            var counter = (QuotaCounter)(quota.EventQuota ?? quota.ByteQuota)!;
            var end = counter.WindowEnd(utc);
            var retryAfter = (int)Math.Ceiling((end - new DateTime(utc, DateTimeKind.Utc)).TotalSeconds);
            ThrottleMetrics.Record(route.Label, "reject", quota.Scope);
            LogDecision(route.Label, "reject", quota.ExceededReason);
            return (null, Refusal.TooManyRequests($"The {quota.ExceededReason}: it refills at {end:yyyy-MM-dd HH:mm:ss} UTC.", retryAfter));
        }

        var slots = new List<ConnectionCounter>(3);
        var grant = CurrentGrant(snapshot, route, identity);
        var plan = PlanOf(snapshot, grant.Plan);
        var appPlan = grant.ApplicationPolicy is { } ap ? PlanOf(snapshot, ap) : null;
        var api = CurrentRoute(snapshot, route).Throttling;
        var refusal =
            TakeSlot(slots, "sub", grant.SubscriptionId, plan?.Policy.MaxConnections,
                n => $"The plan {plan!.Name} allows {n} connection{(n == 1 ? "" : "s")} at a time for this subscription: close one, or try again later.", route, "plan")
            ?? TakeSlot(slots, "app", identity.ApplicationId, appPlan?.Policy.MaxConnections,
                n => $"The application policy {appPlan!.Name} allows {n} connection{(n == 1 ? "" : "s")} at a time for the whole application: close one, or try again later.", route, "application")
            ?? TakeSlot(slots, "api", route.ApiId, api?.MaxBackendConnections,
                n => $"{route.Label} accepts at most {n} connection{(n == 1 ? "" : "s")} to its backend at a time: try again later.", route, "api");
        if (refusal is not null)
        {
            foreach (var slot in slots)
                slot.Release();
            ReleaseAll(slots);
            ReleaseAll(rules.Held);
            return (null, refusal);
        }
        return (new ConnectionThrottle(this, route.Label, rules, slots.ToArray()), null);
    }

    /// <summary>New snapshot: re-resolves the connection's limits (plan changed, policy edited) without reconnecting.</summary>
    public void Refresh(ConnectionThrottle throttle, GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity, long connectionId)
    {
        if (!snapshot.Subscriptions.ContainsKey((route.ApiId, identity.ApplicationId)))
            return; // the registry closes it
        throttle.Replace(Resolve(snapshot, route, identity, connectionId));
    }

    internal ThrottleRules Resolve(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity, long connectionId)
    {
        var grant = CurrentGrant(snapshot, route, identity);
        var current = CurrentRoute(snapshot, route);
        var up = new List<ThrottleRule>();
        var down = new List<ThrottleRule>();
        var held = new List<ThrottleCounter>();
        TimeSpan? maxDuration = null;
        string? durationReason = null;

        void Add(ThrottlePolicy policy, string scope, string? scopeKey, string label)
        {
            foreach (var limit in policy.Limits)
            {
                var rule = Bind(policy, limit, scope, scopeKey, label, held);
                if (policy.Direction != CountedDirection.Out)
                    up.Add(rule);
                if (policy.Direction != CountedDirection.In)
                    down.Add(rule);
            }
            if (policy.MaxConnectionDuration is { } d && (maxDuration is null || d < maxDuration))
            {
                maxDuration = d;
                durationReason = $"{label} limit: connections last at most {d.TotalSeconds:0} s";
            }
        }

        if (current.Throttling is { } api)
        {
            Add(api.PerConnection, "connection", null, "per-connection");
        }
        if (PlanOf(snapshot, grant.Plan) is { } plan)
        {
            Add(plan.Policy, "plan", $"sub:{grant.SubscriptionId}", plan.Name);
        }
        if (grant.ApplicationPolicy is { } appPolicy && PlanOf(snapshot, appPolicy) is { } appPlan)
        {
            Add(appPlan.Policy, "application", $"app:{identity.ApplicationId}", $"application policy {appPlan.Name}");
        }
        if (current.Throttling is { } apiWide)
        {
            Add(apiWide.Api, "api", $"api:{route.ApiId}", $"API {route.Label}");
        }
        if (up.Count == 0 && down.Count == 0 && maxDuration is null)
            return ThrottleRules.None;
        // Rates before quotas: a message a rate drops does not spend the quota.
        return new ThrottleRules(
            up.OrderBy(r => r.Limit.IsQuota).ToArray(), down.OrderBy(r => r.Limit.IsQuota).ToArray(),
            held.ToArray(), maxDuration, durationReason);
    }

    internal void ReleaseAll(IEnumerable<ThrottleCounter> counters)
    {
        foreach (var counter in counters)
            store.Release(counter);
    }

    internal void LogDecision(string api, string action, string reason) => LogThrottled(logger, api, action, reason);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "throttle api={Api} action={Action} reason={Reason}")]
    private static partial void LogThrottled(ILogger logger, string api, string action, string reason);

    private ThrottleRule Bind(ThrottlePolicy policy, PlanLimit limit, string scope, string? scopeKey, string label, List<ThrottleCounter> held)
    {
        var per = PlanJson.Wire(limit.Per);
        string reason = limit.IsRate
            ? $"{label} limit of {limit.Describe()} exceeded"
            : $"{label} quota of {limit.Describe()} is spent";
        if (limit.IsRate)
        {
            RateCounter? Rate(string what)
            {
                if (scopeKey is null)
                    return new RateCounter($"conn:{what}:{per}"); // one connection's own: nothing to share
                var c = store.AcquireRate($"{scopeKey}:{what}:{per}");
                held.Add(c);
                return c;
            }
            return new ThrottleRule
            {
                Scope = scope, Action = policy.Action, Limit = limit, ExceededReason = reason,
                EventRate = limit.Events is { } e ? Rate("events") : null,
                EventSpec = limit.Events is { } e2 ? RateSpec.For(e2, limit.RateWindow, limit.EffectiveBurst(e2)) : default,
                ByteRate = limit.Bytes is not null ? Rate("bytes") : null,
                ByteSpec = limit.Bytes is { } b ? RateSpec.For(b, limit.RateWindow, limit.EffectiveBurst(b)) : default,
            };
        }
        QuotaCounter Quota(string what)
        {
            if (scopeKey is null)
                return new QuotaCounter($"conn:{what}:{per}", limit.Per);
            var c = store.AcquireQuota($"{scopeKey}:{what}:{per}", limit.Per);
            held.Add(c);
            return c;
        }
        return new ThrottleRule
        {
            Scope = scope, Action = policy.Action, Limit = limit, ExceededReason = reason,
            EventQuota = limit.Events is not null ? Quota("events") : null,
            ByteQuota = limit.Bytes is not null ? Quota("bytes") : null,
        };
    }

    private Refusal? TakeSlot(List<ConnectionCounter> slots, string scopeKind, Guid scopeId, int? max, Func<int, string> message, ApiRoute route, string scope)
    {
        if (max is not { } n)
            return null; // no limit: no counter key to format (the common case, once per handshake and scope)
        var counter = store.AcquireConnections($"{scopeKind}:{scopeId}:connections");
        if (counter.TryAcquire(n))
        {
            slots.Add(counter);
            return null;
        }
        store.Release(counter);
        ThrottleMetrics.Record(route.Label, "reject", scope);
        var text = message(n);
        LogDecision(route.Label, "reject", text);
        return Refusal.TooManyRequests(text, ConnectionLimitRetryAfterSeconds);
    }

    /// <summary>
    /// The connection's subscription now; a client let in by an authorization URL alone has none, so only the
    /// API-wide and per-connection limits apply to it.
    /// </summary>
    private static SubscriptionGrant CurrentGrant(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity) =>
        snapshot.Subscriptions.TryGetValue((route.ApiId, identity.ApplicationId), out var grant) ? grant
        : identity.Subscription ?? new SubscriptionGrant(Guid.Empty, route.ApiId, identity.ApplicationId, identity.ApplicationName,
            Core.Plans.DefaultPlans.Unlimited, Core.Applications.SubscriptionStatus.Active);

    private static ApiRoute CurrentRoute(GatewaySnapshot snapshot, ApiRoute route) =>
        snapshot.RoutesByContextAndVersion.TryGetValue(route.Label, out var current) && current.ApiId == route.ApiId ? current : route;

    private static BusinessPlan? PlanOf(GatewaySnapshot snapshot, string name) =>
        snapshot.Plans.TryGetValue(name, out var plan) ? plan : null;
}
