namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// A loop's timers: a binary min-heap of tickets by due time in which each ticket knows its place, so that re-arming
/// moves a ticket and detaching takes it out, both in O(log n). Nothing waits in the heap for an owner that ended: with
/// a plain priority queue each handshake left its ten-second time-out behind, tens of thousands of entries per loop
/// under a connect load, promoted into gen 2 and scanned by every collection (bench/README.md, "Ninth pass").
/// On the loop's thread only.
/// </summary>
internal sealed class TimerHeap
{
    private const int InitialCapacity = 16;
    private TimerTicket[] _items = new TimerTicket[InitialCapacity];
    private int _count;

    public int Count => _count;

    /// <summary>The array's length (for tests).</summary>
    internal int Capacity => _items.Length;

    public bool TryPeek(out TimerTicket ticket, out long due)
    {
        if (_count == 0)
        {
            ticket = null!;
            due = 0;
            return false;
        }
        ticket = _items[0];
        due = ticket.Due;
        return true;
    }

    /// <summary>Puts <paramref name="ticket"/> in the heap due at <paramref name="due"/>, or moves it there if it is in already.</summary>
    public void Set(TimerTicket ticket, long due)
    {
        if (ticket.HeapIndex >= 0)
        {
            var earlier = due < ticket.Due;
            ticket.Due = due;
            if (earlier)
                Up(ticket.HeapIndex);
            else
                Down(ticket.HeapIndex);
            return;
        }
        if (_count == _items.Length)
            Array.Resize(ref _items, _items.Length * 2);
        ticket.Due = due;
        Place(ticket, _count++);
        Up(ticket.HeapIndex);
    }

    /// <summary>Takes <paramref name="ticket"/> out; nothing if it is not in.</summary>
    public void Remove(TimerTicket ticket)
    {
        var index = ticket.HeapIndex;
        if (index < 0)
            return;
        ticket.HeapIndex = -1;
        var last = _items[--_count];
        _items[_count] = null!;
        if (index < _count)
        {
            Place(last, index);
            Up(index);
            Down(last.HeapIndex);
        }
        // A burst can grow the array; a quiet loop gives the memory back.
        if (_items.Length > 1024 && _count < _items.Length / 4)
            Array.Resize(ref _items, _items.Length / 2);
    }

    private void Place(TimerTicket ticket, int index)
    {
        _items[index] = ticket;
        ticket.HeapIndex = index;
    }

    private void Up(int index)
    {
        var ticket = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (_items[parent].Due <= ticket.Due)
                break;
            Place(_items[parent], index);
            index = parent;
        }
        Place(ticket, index);
    }

    private void Down(int index)
    {
        var ticket = _items[index];
        while (true)
        {
            var child = 2 * index + 1;
            if (child >= _count)
                break;
            if (child + 1 < _count && _items[child + 1].Due < _items[child].Due)
                child++;
            if (_items[child].Due >= ticket.Due)
                break;
            Place(_items[child], index);
            index = child;
        }
        Place(ticket, index);
    }
}
