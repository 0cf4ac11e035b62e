using System.Collections.Frozen;

namespace Tollgate.Core.Lifecycle;

/// <summary>
/// The allowed lifecycle transitions. One table, so the REST API, the portals and the
/// gateway agree on what each state permits.
/// </summary>
public static class LifecycleStateMachine
{
    private static readonly FrozenDictionary<ApiState, FrozenDictionary<LifecycleAction, ApiState>> Transitions =
        new Dictionary<ApiState, FrozenDictionary<LifecycleAction, ApiState>>
        {
            [ApiState.Created] = Map((LifecycleAction.Publish, ApiState.Published), (LifecycleAction.PreRelease, ApiState.PreReleased)),
            [ApiState.PreReleased] = Map((LifecycleAction.Publish, ApiState.Published), (LifecycleAction.DemoteToCreated, ApiState.Created)),
            [ApiState.Published] = Map((LifecycleAction.Block, ApiState.Blocked), (LifecycleAction.Deprecate, ApiState.Deprecated), (LifecycleAction.DemoteToCreated, ApiState.Created)),
            [ApiState.Blocked] = Map((LifecycleAction.Publish, ApiState.Published), (LifecycleAction.Deprecate, ApiState.Deprecated)),
            [ApiState.Deprecated] = Map((LifecycleAction.Retire, ApiState.Retired)),
            [ApiState.Retired] = Map(),
        }.ToFrozenDictionary();

    private static FrozenDictionary<LifecycleAction, ApiState> Map(params (LifecycleAction Action, ApiState To)[] edges) =>
        edges.ToFrozenDictionary(e => e.Action, e => e.To);

    /// <summary>Actions allowed from <paramref name="state"/>, in a stable order.</summary>
    public static IReadOnlyList<LifecycleAction> AllowedActions(ApiState state) =>
        Transitions[state].Keys.Order().ToArray();

    public static bool TryApply(ApiState from, LifecycleAction action, out ApiState to) =>
        Transitions[from].TryGetValue(action, out to);

    /// <summary>Whether the gateway serves an API in this state. Deprecated APIs keep serving existing subscribers.</summary>
    public static bool IsServedByGateway(ApiState state) => state is ApiState.Published or ApiState.Deprecated;

    /// <summary>Whether the developer portal lists an API in this state and accepts new subscriptions.</summary>
    public static bool IsSubscribable(ApiState state) => state is ApiState.Published;
}
