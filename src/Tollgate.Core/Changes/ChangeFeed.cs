namespace Tollgate.Core.Changes;

/// <summary>
/// Raised by the control plane after every change that the gateway must see (API state,
/// subscriptions, keys, revocations). Listeners rebuild and swap the gateway snapshot.
/// </summary>
public sealed class ChangeFeed
{
    private long _version;

    public event Action<long>? Changed;

    public long Version => Interlocked.Read(ref _version);

    public void Notify() => Changed?.Invoke(Interlocked.Increment(ref _version));
}
