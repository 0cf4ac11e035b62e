namespace Tollgate.Core.Lifecycle;

/// <summary>Lifecycle states an API moves through, as API managers name them.</summary>
public enum ApiState
{
    Created,
    PreReleased,
    Published,
    Blocked,
    Deprecated,
    Retired,
}

/// <summary>What a publisher can ask of an API's lifecycle.</summary>
public enum LifecycleAction
{
    Publish,
    PreRelease,
    Block,
    Deprecate,
    Retire,
    DemoteToCreated,
}
