namespace Tollgate.Core.Changes;

/// <summary>
/// Raised by the control plane after every change that the gateway must see (API state,
/// subscriptions, keys, revocations). Listeners rebuild and swap the gateway snapshot, then report
/// which change they applied, so a caller can wait until its change is live (read-your-writes:
/// a subscription is usable as soon as the request that made it has answered).
/// </summary>
public sealed class ChangeFeed
{
    private readonly Lock _gate = new();
    private readonly List<(long Version, TaskCompletionSource Done)> _waiters = [];
    private long _version;
    private long _applied;

    /// <summary>Every change, made here or by another control plane of the same store: the snapshot must be rebuilt.</summary>
    public event Action<long>? Changed;

    /// <summary>Only the changes made by this process (raised after <see cref="Changed"/>): what other control planes must hear of.</summary>
    public event Action<long>? ChangedLocally;

    public long Version => Interlocked.Read(ref _version);

    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Notifies, then waits up to two seconds until the change is live on the gateway.</summary>
    public Task NotifyAndWaitAsync(CancellationToken ct = default) => NotifyAndWaitAsync(TimeSpan.FromSeconds(2), ct);

    /// <summary>Notifies, then waits (at most <paramref name="timeout"/>) until a listener applied this change.</summary>
    public Task NotifyAndWaitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var version = Interlocked.Increment(ref _version);
        Task applied;
        lock (_gate)
        {
            if (Interlocked.Read(ref _applied) >= version)
                applied = Task.CompletedTask;
            else
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((version, done));
                applied = done.Task;
            }
        }
        Changed?.Invoke(version);
        ChangedLocally?.Invoke(version);
        // A listener that is slow or down must not hold the caller: the change is stored either way.
        return applied.WaitAsync(timeout, ct).ContinueWith(static _ => { }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Another control plane changed the shared store: listeners rebuild as for a local change, but the change is not
    /// announced again (<see cref="ChangedLocally"/> is not raised), so two control planes never echo each other.
    /// </summary>
    public long NotifyRemote()
    {
        var version = Interlocked.Increment(ref _version);
        Changed?.Invoke(version);
        return version;
    }

    /// <summary>Called by the listener once every change up to <paramref name="version"/> is live.</summary>
    public void MarkApplied(long version)
    {
        lock (_gate)
        {
            if (version <= _applied)
                return;
            Interlocked.Exchange(ref _applied, version);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Version > version)
                    continue;
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
