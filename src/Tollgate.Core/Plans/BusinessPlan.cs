namespace Tollgate.Core.Plans;

/// <summary>A business plan a subscription is made under. Limits are enforced by the gateway's throttling.</summary>
public sealed record BusinessPlan(string Name, string Description, long? EventsPerDay);

public static class DefaultPlans
{
    /// <summary>The async tiers users of the big API managers know (events per day; every frame counts).</summary>
    public static readonly IReadOnlyList<BusinessPlan> All =
    [
        new("Gold", "50,000 events a day", 50_000),
        new("Silver", "25,000 events a day", 25_000),
        new("Bronze", "5,000 events a day", 5_000),
        new("Unlimited", "No limit", null),
    ];
}
