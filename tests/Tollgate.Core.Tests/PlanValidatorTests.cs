using Tollgate.Core.Plans;

namespace Tollgate.Core.Tests;

public sealed class PlanValidatorTests
{
    private static PlanDto Tiny() => new("Tiny", null, "shape", [new LimitDto(60, "minute"), new LimitDto(5000, "day")], MaxConnections: 2);

    private static IReadOnlyDictionary<string, string[]> Errors(PlanDto dto) => PlanValidator.Validate(dto).Errors.ToDictionary();

    [Fact]
    public void The_issue_example_is_valid_and_reads_as_rate_and_quota()
    {
        var (plan, errors) = PlanValidator.Validate(Tiny() with { Action = "drop" });
        Assert.True(errors.IsEmpty);
        Assert.Equal(ThrottleAction.Drop, plan!.Policy.Action);
        Assert.Equal(2, plan.Policy.MaxConnections);
        Assert.True(plan.Policy.Limits[0].IsRate);
        Assert.True(plan.Policy.Limits[1].IsQuota);
        Assert.Equal(5000, plan.EventsPerDay);
        Assert.Equal("60 events per minute, 5,000 events per day, 2 connections", plan.Description);
    }

    [Fact]
    public void Action_defaults_to_shape_and_direction_to_both()
    {
        var plan = PlanValidator.Validate(Tiny() with { Action = null }).Plan!;
        Assert.Equal(ThrottleAction.Shape, plan.Policy.Action);
        Assert.Equal(CountedDirection.Both, plan.Policy.Direction);
    }

    [Theory]
    [InlineData(null, "name")]
    [InlineData("has space", "name")]
    public void Name_is_required_and_list_friendly(string? name, string field) => Assert.Contains(field, Errors(Tiny() with { Name = name }).Keys);

    [Fact]
    public void Unknown_action_says_which_ones_exist()
    {
        var message = Assert.Single(Errors(Tiny() with { Action = "throttle" })["action"]);
        Assert.Contains("shape", message);
        Assert.Contains("drop", message);
        Assert.Contains("close", message);
    }

    [Theory]
    [InlineData("fortnight")]
    [InlineData("1")]
    [InlineData("")]
    public void Per_must_be_a_known_window(string per) =>
        Assert.Contains("limits[0].per", Errors(Tiny() with { Limits = [new LimitDto(5, per)] }).Keys);

    [Fact]
    public void A_limit_needs_events_or_bytes_and_positive_amounts()
    {
        Assert.Contains("limits[0]", Errors(Tiny() with { Limits = [new LimitDto(null, "second")] }).Keys);
        Assert.Contains("limits[0].events", Errors(Tiny() with { Limits = [new LimitDto(0, "second")] }).Keys);
        Assert.Contains("limits[0].bytes", Errors(Tiny() with { Limits = [new LimitDto(null, "second", -1)] }).Keys);
        Assert.True(PlanValidator.Validate(Tiny() with { Limits = [new LimitDto(null, "second", 65536)] }).Errors.IsEmpty);
    }

    [Fact]
    public void One_limit_per_window_and_burst_only_on_rates()
    {
        Assert.Contains("limits[1].per", Errors(Tiny() with { Limits = [new LimitDto(5, "minute"), new LimitDto(9, "Minute")] }).Keys);
        Assert.Contains("limits[0].burst", Errors(Tiny() with { Limits = [new LimitDto(5, "day", Burst: 3)] }).Keys);
    }

    [Fact]
    public void Connection_limits_must_be_positive()
    {
        Assert.Contains("maxConnections", Errors(Tiny() with { MaxConnections = 0 }).Keys);
        Assert.Contains("maxConnectionDuration", Errors(Tiny() with { MaxConnectionDuration = 0 }).Keys);
    }

    [Fact]
    public void Api_throttling_fields_are_prefixed()
    {
        var (_, errors) = PlanValidator.ValidateApiThrottling(
            new ApiThrottlingDto("slow", [new LimitDto(5, "week")], 0, new ConnectionPolicyDto(Limits: [new LimitDto(-1, "second")])), "throttling.");
        var keys = errors.ToDictionary().Keys;
        Assert.Contains("throttling.action", keys);
        Assert.Contains("throttling.limits[0].per", keys);
        Assert.Contains("throttling.maxBackendConnections", keys);
        Assert.Contains("throttling.perConnection.limits[0].events", keys);
    }

    [Fact]
    public void Plans_round_trip_through_their_stored_json()
    {
        foreach (var plan in DefaultPlans.All)
        {
            var back = PlanJson.DeserializePlan(PlanJson.Serialize(plan));
            Assert.Equal(plan.Name, back.Name);
            Assert.Equal(plan.Policy.Limits, back.Policy.Limits);
            Assert.Equal(plan.Policy.MaxConnections, back.Policy.MaxConnections);
        }
    }

    [Fact]
    public void Default_plans_keep_the_async_tiers_and_add_a_rate_and_a_connection_limit()
    {
        var plans = DefaultPlans.All.ToDictionary(p => p.Name);
        Assert.Equal(50_000, plans["Gold"].EventsPerDay);
        Assert.Equal(25_000, plans["Silver"].EventsPerDay);
        Assert.Equal(5_000, plans["Bronze"].EventsPerDay);
        Assert.True(plans["Unlimited"].Policy.IsUnlimited);
        foreach (var name in new[] { "Gold", "Silver", "Bronze" })
        {
            Assert.Contains(plans[name].Policy.Limits, l => l.Per == LimitPeriod.Minute);
            Assert.NotNull(plans[name].Policy.MaxConnections);
        }
    }
}
