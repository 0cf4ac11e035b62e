namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// An owner's place in its loop's timers (<see cref="TimerHeap"/>): one due time at a time, which scheduling again moves.
/// An owner that ends detaches its ticket, which takes it out of the heap: nothing, not even the ticket, then waits there
/// for a time-out that no longer applies.
/// </summary>
internal sealed class TimerTicket(ILoopSocketOwner owner)
{
    public ILoopSocketOwner? Owner { get; private set; } = owner;

    /// <summary>The loop whose heap the ticket was put in, for <see cref="Detach"/>.</summary>
    internal RelayLoop? Loop;

    /// <summary>Where the ticket is in its loop's heap, or -1; when it is due. Kept by <see cref="TimerHeap"/>.</summary>
    internal int HeapIndex = -1;
    internal long Due;

    /// <summary>In its loop's heap now (scheduled, not yet due, not detached).</summary>
    public bool Scheduled => HeapIndex >= 0;

    public void Detach()
    {
        Owner = null;
        Loop?.Cancel(this);
    }
}
