using System.Runtime.CompilerServices;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// A loop's timer queue cannot drop an entry before it is due, and an idle check or handshake time-out is due long after
/// a short connection ended: on a busy gateway those entries kept thousands of finished connections alive into gen 2.
/// Entries hold a ticket the owner detaches when it ends.
/// </summary>
public sealed class LoopTimerTicketTests
{
    [Fact]
    public async Task A_finished_loop_relay_detaches_its_timer_entry()
    {
        var (clientNear, clientFar) = await LoopbackPair.CreateAsync();
        var (backendNear, backendFar) = await LoopbackPair.CreateAsync();
        // An idle time-out an hour away: the relay's timer entry is due long after this test.
        var relay = (LoopRelayConnection)RelayEngines.Start(RelayEngine.Loop, clientFar, backendNear, ReadOnlyMemory<byte>.Empty,
            new RelayOptions { IdleTimeout = TimeSpan.FromHours(1) }, new RelayCounters());
        Assert.False(relay.TimerReleased);
        clientNear.Dispose();
        backendFar.Dispose();
        await relay.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(relay.TimerReleased);
    }

    [Fact]
    public async Task An_owner_whose_ticket_is_detached_is_not_kept_alive_by_the_pending_entry()
    {
        var loop = RelayLoops.All[0];
        var (owner, ticket) = await ScheduleFarAwayAsync(loop);
        await RunOnAsync(loop, ticket.Detach);
        for (var i = 0; i < 3 && owner.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(owner.IsAlive);
        GC.KeepAlive(ticket);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Owner, TimerTicket Ticket)> ScheduleFarAwayAsync(RelayLoop loop)
    {
        var owner = new IdleOwner();
        var ticket = new TimerTicket(owner);
        await RunOnAsync(loop, () => loop.Schedule(ticket, RelayLoop.After(TimeSpan.FromHours(1))));
        return (new WeakReference(owner), ticket);
    }

    private static Task RunOnAsync(RelayLoop loop, Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            action();
            done.SetResult();
        });
        return done.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    private sealed class IdleOwner : ILoopSocketOwner
    {
        public void OnEvents(int side, uint events)
        {
        }

        public void OnTimer(long due, long now) => throw new InvalidOperationException("due in an hour");

        public void Fail(Exception e)
        {
        }
    }
}
