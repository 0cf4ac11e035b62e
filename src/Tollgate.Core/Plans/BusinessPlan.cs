namespace Tollgate.Core.Plans;

/// <summary>What the gateway does with a message past a rate: slow the sender, drop it, or close the connection.</summary>
public enum ThrottleAction
{
    /// <summary>Back-pressure: the gateway stops reading from the sender until the rate allows the message. Nothing is lost.</summary>
    Shape,
    /// <summary>The message is not forwarded; it is counted.</summary>
    Drop,
    /// <summary>The connection is closed with 1008 and a reason naming the limit.</summary>
    Close,
}

/// <summary>The window of a limit: second and minute are rates, hour, day and month are quotas (UTC calendar windows).</summary>
public enum LimitPeriod
{
    Second,
    Minute,
    Hour,
    Day,
    Month,
}

/// <summary>Which direction's messages a policy counts. Both, as the big API managers count them, by default.</summary>
public enum CountedDirection
{
    Both,
    /// <summary>Client to backend only.</summary>
    In,
    /// <summary>Backend to client only.</summary>
    Out,
}

/// <summary>
/// One limit over one window: at most <see cref="Events"/> data messages and/or <see cref="Bytes"/> payload bytes.
/// Rates (second, minute) allow a burst of <see cref="EffectiveBurst"/> on top of the steady rate.
/// </summary>
public sealed record PlanLimit(long? Events, LimitPeriod Per, long? Bytes = null, long? Burst = null)
{
    public bool IsRate => Per is LimitPeriod.Second or LimitPeriod.Minute;
    public bool IsQuota => !IsRate;

    /// <summary>Length of a rate window.</summary>
    public TimeSpan RateWindow => Per == LimitPeriod.Second ? TimeSpan.FromSeconds(1) : TimeSpan.FromMinutes(1);

    /// <summary>Messages a rate lets through at once: a tenth of the window's events by default (at least one).</summary>
    public long EffectiveBurst(long amount) => Burst is { } b && b > 0 ? Math.Min(b, amount) : Math.Max(1, amount / 10);

    public string Describe()
    {
        var what = (Events, Bytes) switch
        {
            ({ } e, { } b) => $"{e:N0} events and {b:N0} bytes",
            ({ } e, null) => $"{e:N0} events",
            (null, { } b) => $"{b:N0} bytes",
            _ => "nothing",
        };
        return $"{what} per {Per.ToString().ToLowerInvariant()}";
    }
}

/// <summary>Limits of a plan, an application policy, an API or one connection.</summary>
public sealed record ThrottlePolicy(
    ThrottleAction Action,
    IReadOnlyList<PlanLimit> Limits,
    int? MaxConnections = null,
    TimeSpan? MaxConnectionDuration = null,
    CountedDirection Direction = CountedDirection.Both)
{
    public static readonly ThrottlePolicy None = new(ThrottleAction.Shape, []);

    /// <summary>True when the policy limits nothing: the gateway then adds no work to the connection.</summary>
    public bool IsUnlimited => Limits.Count == 0 && MaxConnections is null && MaxConnectionDuration is null;

    public bool HasMessageLimits => Limits.Count > 0;
}

/// <summary>A business plan a subscription is made under. Its limits are enforced by the gateway.</summary>
public sealed record BusinessPlan(string Name, string Description, ThrottlePolicy Policy)
{
    /// <summary>The daily event quota, if any (kept for clients of the first plans API).</summary>
    public long? EventsPerDay => Policy.Limits.FirstOrDefault(l => l.Per == LimitPeriod.Day && l.Events is not null)?.Events;
}

/// <summary>
/// The API-wide policy a publisher sets: limits over all consumers of the API together (protecting its backend),
/// a cap on concurrent backend connections, and a cap applied to each connection on its own.
/// </summary>
public sealed record ApiThrottling(ThrottlePolicy Api, ThrottlePolicy PerConnection)
{
    public static readonly ApiThrottling None = new(ThrottlePolicy.None, ThrottlePolicy.None);

    public int? MaxBackendConnections => Api.MaxConnections;

    public bool IsUnlimited => Api.IsUnlimited && PerConnection.IsUnlimited;
}

public static class DefaultPlans
{
    public const string Unlimited = "Unlimited";

    /// <summary>
    /// The async tiers users of the big API managers know (events per day; every message counts, both ways), each
    /// with a per-minute rate that stops one client from spending the day in minutes, and a connection limit.
    /// </summary>
    public static readonly IReadOnlyList<BusinessPlan> All =
    [
        new("Gold", "50,000 events a day, 1,000 a minute, 20 connections",
            new ThrottlePolicy(ThrottleAction.Shape, [new PlanLimit(1_000, LimitPeriod.Minute), new PlanLimit(50_000, LimitPeriod.Day)], MaxConnections: 20)),
        new("Silver", "25,000 events a day, 500 a minute, 10 connections",
            new ThrottlePolicy(ThrottleAction.Shape, [new PlanLimit(500, LimitPeriod.Minute), new PlanLimit(25_000, LimitPeriod.Day)], MaxConnections: 10)),
        new("Bronze", "5,000 events a day, 100 a minute, 3 connections",
            new ThrottlePolicy(ThrottleAction.Shape, [new PlanLimit(100, LimitPeriod.Minute), new PlanLimit(5_000, LimitPeriod.Day)], MaxConnections: 3)),
        new(Unlimited, "No limit", ThrottlePolicy.None),
    ];
}
