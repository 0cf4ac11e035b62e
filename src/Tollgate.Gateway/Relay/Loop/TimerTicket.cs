namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// What a loop's timer queue holds for an owner. The queue cannot drop an entry before it is due, so an owner that ends
/// detaches its ticket: only the ticket, not the connection and everything it references, then waits in the queue. (An
/// entry per connection for a 10 s handshake time-out or a 15 s idle check would otherwise keep thousands of finished
/// connections alive into gen 2 on a busy gateway.)
/// </summary>
internal sealed class TimerTicket(ILoopSocketOwner owner)
{
    public ILoopSocketOwner? Owner { get; private set; } = owner;

    public void Detach() => Owner = null;
}
