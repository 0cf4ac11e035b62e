using System.Diagnostics;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// One loop's scheduling policy in the adaptive mode (<see cref="LoopScheduling"/>): SCHED_OTHER from a handshake's start
/// until <see cref="Hold"/> passes without another, then SCHED_BATCH again. At most two system calls per busy period and
/// one timer entry at a time. On the loop's thread only.
/// </summary>
internal sealed class LoopPolicy : ILoopSocketOwner
{
    /// <summary>Covers a handshake's hops on a busy machine (a few milliseconds at p99) and the next ones under a steady
    /// stream of connections; short enough that a loop which only relays is back under SCHED_BATCH at once.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(20);

    private readonly long _holdTicks;
    private readonly RelayLoop _loop;
    private readonly TimerTicket _ticket;
    private bool _latency; // under SCHED_OTHER now
    private long _until;

    /// <param name="hold">Instead of <see cref="Hold"/> (tests: a longer hold than a busy test machine's timer slack).</param>
    public LoopPolicy(RelayLoop loop, TimeSpan? hold = null)
    {
        _holdTicks = (long)((hold ?? Hold).TotalSeconds * Stopwatch.Frequency);
        _loop = loop;
        _ticket = new TimerTicket(this);
    }

    /// <summary>A handshake starts on this loop.</summary>
    public void HandshakeStarting()
    {
        if (LoopScheduling.Mode != LoopSchedulingMode.Adaptive)
            return;
        _until = RelayLoop.Now + _holdTicks;
        if (!_latency)
        {
            LoopScheduling.Set(LoopScheduling.SCHED_OTHER);
            _latency = true;
        }
        if (!_ticket.Scheduled)
            _loop.Schedule(_ticket, _until); // not moved per handshake: OnTimer looks at _until
    }

    public void OnTimer(long due, long now)
    {
        if (!_latency)
            return;
        if (now < _until)
        {
            _loop.Schedule(_ticket, _until); // handshakes started meanwhile
            return;
        }
        LoopScheduling.Set(LoopScheduling.SCHED_BATCH);
        _latency = false;
    }

    public void OnEvents(int side, uint events)
    {
    }

    public void Fail(Exception e) => Trace.TraceError($"relay loop scheduling policy: {e}");
}
