using System.Net.Sockets;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>Takes a listening socket out of one loop for 100 ms (the process is out of descriptors), then puts it back.</summary>
internal sealed class AcceptPause : ILoopSocketOwner
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);
    private readonly RelayLoop _loop;
    private readonly Socket _listener;
    private readonly LoopFront _front;

    private AcceptPause(RelayLoop loop, Socket listener, LoopFront front)
    {
        _loop = loop;
        _listener = listener;
        _front = front;
    }

    public static void Start(RelayLoop loop, Socket listener, LoopFront front)
    {
        loop.RemoveListener((int)listener.Handle);
        loop.Schedule(new TimerTicket(new AcceptPause(loop, listener, front)), RelayLoop.After(Pause));
    }

    public void OnTimer(long due, long now)
    {
        if (_front.Stopped)
            return; // unbound meanwhile
        _loop.AddListener((int)_listener.Handle, () => _front.Accept(_loop, _listener));
    }

    public void OnEvents(int side, uint events)
    {
    }

    public void Fail(Exception e)
    {
    }
}
