using System.Runtime.CompilerServices;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Relay.Loop;
using Tollgate.Gateway.Tests.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// An idle check or handshake time-out is due long after a short connection ended: on a busy gateway entries left in the
/// loop's timers kept thousands of finished connections (then thousands of tickets) alive into gen 2, and woke an idle
/// loop as they came due. The owner detaches its ticket when it ends, which takes it out of the timers.
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
        await OnLoop.RunAsync(loop, ticket.Detach);
        for (var i = 0; i < 3 && owner.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(owner.IsAlive);
        GC.KeepAlive(ticket);
    }

    [Fact]
    public async Task Detached_tickets_leave_the_timers_so_an_idle_loop_sleeps_and_still_wakes_for_a_live_one()
    {
        // A loop of its own: the shared loops carry other tests' traffic, which would blur the count of wake-ups.
        var loop = new RelayLoop(90);
        await OnLoop.RunAsync(loop, () => { });
        var live = new CountingOwner();
        await OnLoop.RunAsync(loop, () =>
        {
            // A burst of handshakes leaves a detached time-out each, due a millisecond apart from 200 ms on.
            var start = RelayLoop.After(TimeSpan.FromMilliseconds(200));
            for (var i = 0; i < 1000; i++)
            {
                var ticket = new TimerTicket(new IdleOwner());
                loop.Schedule(ticket, start + i * System.Diagnostics.Stopwatch.Frequency / 1000);
                ticket.Detach();
            }
            loop.Schedule(new TimerTicket(live), start + 500 * System.Diagnostics.Stopwatch.Frequency / 1000);
            Assert.Equal(1, loop.TimerCount); // detaching took each ticket out; only the live one waits
        });
        var before = loop.WakeUps;
        await Task.Delay(TimeSpan.FromMilliseconds(1500));
        var wakeUps = loop.WakeUps - before;

        Assert.Equal(1, live.Fired); // the live entry behind 500 detached ones still fires
        // When detached entries stayed in the queue, the loop woke for each as it came due: about a thousand times here.
        Assert.True(wakeUps < 20, $"the idle loop woke {wakeUps} times in 1.5 s");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Owner, TimerTicket Ticket)> ScheduleFarAwayAsync(RelayLoop loop)
    {
        var owner = new IdleOwner();
        var ticket = new TimerTicket(owner);
        await OnLoop.RunAsync(loop, () => loop.Schedule(ticket, RelayLoop.After(TimeSpan.FromHours(1))));
        return (new WeakReference(owner), ticket);
    }

    private sealed class CountingOwner : ILoopSocketOwner
    {
        public int Fired;

        public void OnEvents(int side, uint events)
        {
        }

        public void OnTimer(long due, long now) => Interlocked.Increment(ref Fired);

        public void Fail(Exception e)
        {
        }
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
