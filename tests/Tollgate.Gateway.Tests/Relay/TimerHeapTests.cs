using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>The loop's timer heap against a plain list kept sorted: the same tickets come out, in due order, after any
/// mix of new tickets, moves (earlier and later) and removals.</summary>
public sealed class TimerHeapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Tickets_come_out_in_due_order_after_moves_and_removals(int seed)
    {
        var random = new Random(seed);
        var heap = new TimerHeap();
        var expected = new Dictionary<TimerTicket, long>();
        var tickets = Enumerable.Range(0, 300).Select(_ => new TimerTicket(new NoOpOwner())).ToArray();
        for (var step = 0; step < 5000; step++)
        {
            var ticket = tickets[random.Next(tickets.Length)];
            if (random.Next(4) == 0)
            {
                heap.Remove(ticket);
                expected.Remove(ticket);
            }
            else
            {
                var due = random.Next(0, 10_000);
                heap.Set(ticket, due); // new, or moved earlier or later
                expected[ticket] = due;
            }
            Assert.Equal(expected.Count, heap.Count);
        }

        var order = new List<(TimerTicket Ticket, long Due)>();
        while (heap.TryPeek(out var first, out var due))
        {
            Assert.Equal(expected[first], due);
            order.Add((first, due));
            heap.Remove(first);
            Assert.Equal(-1, first.HeapIndex);
        }
        Assert.Equal(expected.Count, order.Count);
        Assert.Equal(expected.Keys.ToHashSet(), order.Select(o => o.Ticket).ToHashSet());
        Assert.True(order.Zip(order.Skip(1)).All(pair => pair.First.Due <= pair.Second.Due), "out of due order");
    }

    [Fact]
    public void A_burst_grows_the_array_and_a_quiet_heap_gives_it_back()
    {
        var heap = new TimerHeap();
        var tickets = Enumerable.Range(0, 10_000).Select(i => new TimerTicket(new NoOpOwner())).ToArray();
        for (var i = 0; i < tickets.Length; i++)
            heap.Set(tickets[i], i);
        foreach (var ticket in tickets.Take(9_990))
            heap.Remove(ticket);
        Assert.Equal(10, heap.Count);
        Assert.True(heap.Capacity <= 1024, $"capacity {heap.Capacity} after the burst");
        Assert.True(heap.TryPeek(out var first, out var due));
        Assert.Same(tickets[9_990], first);
        Assert.Equal(9_990, due);
    }
}
