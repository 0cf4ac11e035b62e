using Tollgate.Core.Lifecycle;

namespace Tollgate.Core.Tests;

public sealed class LifecycleStateMachineTests
{
    [Theory]
    [InlineData(ApiState.Created, LifecycleAction.Publish, ApiState.Published)]
    [InlineData(ApiState.Created, LifecycleAction.PreRelease, ApiState.PreReleased)]
    [InlineData(ApiState.PreReleased, LifecycleAction.Publish, ApiState.Published)]
    [InlineData(ApiState.PreReleased, LifecycleAction.DemoteToCreated, ApiState.Created)]
    [InlineData(ApiState.Published, LifecycleAction.Block, ApiState.Blocked)]
    [InlineData(ApiState.Published, LifecycleAction.Deprecate, ApiState.Deprecated)]
    [InlineData(ApiState.Published, LifecycleAction.DemoteToCreated, ApiState.Created)]
    [InlineData(ApiState.Blocked, LifecycleAction.Publish, ApiState.Published)]
    [InlineData(ApiState.Blocked, LifecycleAction.Deprecate, ApiState.Deprecated)]
    [InlineData(ApiState.Deprecated, LifecycleAction.Retire, ApiState.Retired)]
    public void Allowed_transitions_lead_to_the_expected_state(ApiState from, LifecycleAction action, ApiState expected)
    {
        Assert.True(LifecycleStateMachine.TryApply(from, action, out var to));
        Assert.Equal(expected, to);
        Assert.Contains(action, LifecycleStateMachine.AllowedActions(from));
    }

    [Theory]
    [InlineData(ApiState.Created, LifecycleAction.Block)]
    [InlineData(ApiState.Created, LifecycleAction.Retire)]
    [InlineData(ApiState.Created, LifecycleAction.Deprecate)]
    [InlineData(ApiState.Published, LifecycleAction.Publish)]
    [InlineData(ApiState.Published, LifecycleAction.Retire)]
    [InlineData(ApiState.Deprecated, LifecycleAction.Publish)]
    [InlineData(ApiState.Blocked, LifecycleAction.Retire)]
    [InlineData(ApiState.Retired, LifecycleAction.Publish)]
    [InlineData(ApiState.Retired, LifecycleAction.DemoteToCreated)]
    public void Forbidden_transitions_are_refused(ApiState from, LifecycleAction action)
    {
        Assert.False(LifecycleStateMachine.TryApply(from, action, out _));
        Assert.DoesNotContain(action, LifecycleStateMachine.AllowedActions(from));
    }

    [Fact]
    public void Retired_is_final()
    {
        Assert.Empty(LifecycleStateMachine.AllowedActions(ApiState.Retired));
    }

    [Fact]
    public void Every_state_is_reachable_from_created()
    {
        var seen = new HashSet<ApiState> { ApiState.Created };
        var frontier = new Queue<ApiState>([ApiState.Created]);
        while (frontier.TryDequeue(out var state))
            foreach (var action in LifecycleStateMachine.AllowedActions(state))
                if (LifecycleStateMachine.TryApply(state, action, out var next) && seen.Add(next))
                    frontier.Enqueue(next);
        Assert.Equal(Enum.GetValues<ApiState>().ToHashSet(), seen);
    }

    [Theory]
    [InlineData(ApiState.Created, false)]
    [InlineData(ApiState.PreReleased, false)]
    [InlineData(ApiState.Published, true)]
    [InlineData(ApiState.Blocked, false)]
    [InlineData(ApiState.Deprecated, true)]
    [InlineData(ApiState.Retired, false)]
    public void Gateway_serves_only_published_and_deprecated(ApiState state, bool served)
    {
        Assert.Equal(served, LifecycleStateMachine.IsServedByGateway(state));
    }

    [Theory]
    [InlineData(ApiState.Published, true)]
    [InlineData(ApiState.Deprecated, false)]
    [InlineData(ApiState.Created, false)]
    [InlineData(ApiState.Blocked, false)]
    public void Only_published_apis_take_new_subscriptions(ApiState state, bool subscribable)
    {
        Assert.Equal(subscribable, LifecycleStateMachine.IsSubscribable(state));
    }
}
