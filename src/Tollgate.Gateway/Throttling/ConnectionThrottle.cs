using Tollgate.Core.Plans;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Throttling;

/// <summary>One limit of one scope, bound to its counters. Immutable once built.</summary>
internal sealed class ThrottleRule
{
    public required string Scope { get; init; }          // plan, application, api, connection
    public required ThrottleAction Action { get; init; }
    public required PlanLimit Limit { get; init; }
    public required string ExceededReason { get; init; }  // close reason past a rate, or once a quota is spent
    public RateCounter? EventRate { get; init; }
    public RateCounter? ByteRate { get; init; }
    public RateSpec EventSpec { get; init; }
    public RateSpec ByteSpec { get; init; }
    public QuotaCounter? EventQuota { get; init; }
    public QuotaCounter? ByteQuota { get; init; }
}

/// <summary>The limits that apply to one connection under one snapshot, split by the direction they count.</summary>
internal sealed class ThrottleRules
{
    public static readonly ThrottleRules None = new([], [], [], null, null);

    public ThrottleRules(ThrottleRule[] upstream, ThrottleRule[] downstream, ThrottleCounter[] held, TimeSpan? maxDuration, string? durationReason)
    {
        Upstream = upstream;
        Downstream = downstream;
        Held = held;
        MaxDuration = maxDuration;
        DurationReason = durationReason;
    }

    public ThrottleRule[] Upstream { get; }
    public ThrottleRule[] Downstream { get; }
    /// <summary>Counters acquired from the store for these rules, released when the rules are replaced.</summary>
    public ThrottleCounter[] Held { get; }
    public TimeSpan? MaxDuration { get; }
    public string? DurationReason { get; }

    public IEnumerable<ThrottleRule> Quotas => Upstream.Concat(Downstream).Where(r => r.Limit.IsQuota).Distinct();
}

/// <summary>
/// The throttling of one live connection: its two gates (client→backend, backend→client), the connection slots it
/// holds, and its current rules, which a new snapshot replaces in place (a plan change reaches live connections
/// without reconnecting). Dispose when the connection ends.
/// </summary>
internal sealed class ConnectionThrottle : IDisposable
{
    private readonly ThrottleService _service;
    private readonly ConnectionCounter[] _slots;
    private ThrottleRules _rules;
    private long _shaped;
    private long _dropped;
    private int _disposed;
    private int _loggedDrop;

    internal ConnectionThrottle(ThrottleService service, string api, ThrottleRules rules, ConnectionCounter[] slots)
    {
        _service = service;
        Api = api;
        _rules = rules;
        _slots = slots;
        Upstream = new Gate(this, upstream: true);
        Downstream = new Gate(this, upstream: false);
    }

    public string Api { get; }
    public IMessageGate Upstream { get; }
    public IMessageGate Downstream { get; }
    public long Shaped => Interlocked.Read(ref _shaped);
    public long Dropped => Interlocked.Read(ref _dropped);
    public ThrottleRules Rules => Volatile.Read(ref _rules);

    /// <summary>Installs new rules (plan or policy changed); the next message is judged by them.</summary>
    internal void Replace(ThrottleRules next)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            _service.ReleaseAll(next.Held);
            return;
        }
        var previous = Interlocked.Exchange(ref _rules, next);
        _service.ReleaseAll(previous.Held);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var slot in _slots)
            slot.Release();
        _service.ReleaseAll(_slots);
        _service.ReleaseAll(Interlocked.Exchange(ref _rules, ThrottleRules.None).Held);
    }

    private GateDecision Judge(ThrottleRule[] rules, long bytes, out long delayNs, out string? reason)
    {
        delayNs = 0;
        reason = null;
        long now = ThrottleClock.NowNs();
        long utc = 0;
        ThrottleRule? holder = null;
        foreach (var rule in rules)
        {
            if (rule.Limit.IsRate)
            {
                if (rule.Action == ThrottleAction.Shape)
                {
                    long d = rule.EventRate?.Reserve(1, rule.EventSpec, now) ?? 0;
                    if (rule.ByteRate is { } byteRate)
                        d = Math.Max(d, byteRate.Reserve(bytes, rule.ByteSpec, now));
                    if (d > delayNs)
                    {
                        delayNs = d;
                        holder = rule;
                    }
                }
                else if ((rule.EventRate is { } e && !e.TryTake(1, rule.EventSpec, now))
                         || (rule.ByteRate is { } b && !b.TryTake(bytes, rule.ByteSpec, now)))
                {
                    if (rule.Action == ThrottleAction.Drop)
                    {
                        Interlocked.Increment(ref _dropped);
                        ThrottleMetrics.Record(Api, "drop", rule.Scope);
                        if (Interlocked.Exchange(ref _loggedDrop, 1) == 0)
                            _service.LogDecision(Api, "drop", rule.ExceededReason);
                        return GateDecision.Drop;
                    }
                    reason = rule.ExceededReason;
                    ThrottleMetrics.Record(Api, "close", rule.Scope);
                    _service.LogDecision(Api, "close", reason);
                    return GateDecision.Close;
                }
            }
            else
            {
                if (utc == 0)
                    utc = ThrottleClock.UtcTicks(now);
                if ((rule.EventQuota is { } e && !e.TryTake(1, rule.Limit.Events!.Value, utc))
                    || (rule.ByteQuota is { } b && !b.TryTake(bytes, rule.Limit.Bytes!.Value, utc)))
                {
                    reason = rule.ExceededReason;
                    ThrottleMetrics.Record(Api, "close", rule.Scope);
                    _service.LogDecision(Api, "close", reason);
                    return GateDecision.Close;
                }
            }
        }
        if (delayNs > 0)
        {
            Interlocked.Increment(ref _shaped);
            ThrottleMetrics.Record(Api, "shape", holder!.Scope);
            ThrottleMetrics.Held(Api, delayNs);
            return GateDecision.Delay;
        }
        return GateDecision.Pass;
    }

    private static void Charge(ThrottleRule[] rules, long bytes)
    {
        long now = 0;
        long utc = 0;
        foreach (var rule in rules)
        {
            if (rule.ByteRate is { } rate)
            {
                if (now == 0)
                    now = ThrottleClock.NowNs();
                rate.Charge(bytes, rule.ByteSpec, now);
            }
            else if (rule.ByteQuota is { } quota)
            {
                if (utc == 0)
                    utc = DateTime.UtcNow.Ticks;
                quota.Charge(bytes, utc);
            }
        }
    }

    /// <summary>One direction. Reads the current rules once per message: no lock, no allocation when nothing is limited.</summary>
    private sealed class Gate(ConnectionThrottle owner, bool upstream) : IMessageGate
    {
        public GateDecision OnMessage(long firstFrameBytes, out long delayNs, out string? reason)
        {
            var rules = Volatile.Read(ref owner._rules);
            var list = upstream ? rules.Upstream : rules.Downstream;
            if (list.Length == 0)
            {
                delayNs = 0;
                reason = null;
                return GateDecision.Pass;
            }
            return owner.Judge(list, firstFrameBytes, out delayNs, out reason);
        }

        public void OnFrame(long payloadBytes)
        {
            var rules = Volatile.Read(ref owner._rules);
            var list = upstream ? rules.Upstream : rules.Downstream;
            if (list.Length != 0 && payloadBytes > 0)
                Charge(list, payloadBytes);
        }
    }
}
