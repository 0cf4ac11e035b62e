using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// The plain-TCP gateway port served by the socket loops themselves, as nginx's workers do: each loop accepts, reads and
/// parses the upgrade request, runs <see cref="GatewayRequestHandler"/> (token, subscription, throttling: the same code
/// as every other front), connects a ws:// backend without blocking and relays the 101, all on its own thread; the relay
/// then takes over the same epoll slot. A connection costs one thread and no hand-off unless a check has to call out
/// (an authorization URL, the cluster's ticket ledger), whose continuation comes back to the loop.
/// </summary>
internal sealed class LoopFront(
    GatewayRequestHandler handler,
    BackendConnector fallbackDialer,
    IServiceProvider services,
    GatewayListenerOptions options,
    IPEndPoint localEndPoint,
    ILogger logger)
{
    /// <summary>At most this many accepts per wake-up of one loop, so a burst of connections cannot starve the relays.</summary>
    private const int AcceptBatch = 32;

    private long _nextId;
    private volatile bool _stopped;

    public GatewayRequestHandler Handler => handler;
    public BackendConnector FallbackDialer => fallbackDialer;
    /// <summary>Backend addresses by host, for the loop's own connects.</summary>
    public BackendAddresses Addresses { get; } = new(nameLifetime: fallbackDialer.Options.NameLifetime);
    public IServiceProvider Services => services;
    public GatewayListenerOptions Options => options;
    public IPEndPoint LocalEndPoint => localEndPoint;
    public ILogger Logger => logger;

    /// <summary>This loop, unless another has at least <see cref="Slack"/> fewer connections.</summary>
    private static RelayLoop LeastBusy(RelayLoop current)
    {
        var best = current;
        var bestLoad = current.Load - Slack;
        foreach (var loop in RelayLoops.All)
        {
            var load = loop.Load;
            if (load < bestLoad)
                (best, bestLoad) = (loop, load);
        }
        return best;
    }

    /// <summary>How many more connections the accepting loop may have before a new one goes elsewhere: small, so long-lived
    /// connections end up spread evenly; not zero, so short ones mostly stay where they were accepted (no hand-off).</summary>
    private const int Slack = 2;

    /// <summary>The port was unbound: an accept pause must not put its listening socket back.</summary>
    public bool Stopped => _stopped;

    public void Stop() => _stopped = true;

    public string NextConnectionId() => $"lf-{Interlocked.Increment(ref _nextId)}";

    /// <summary>On <paramref name="loop"/>'s thread, when the listening socket is readable.</summary>
    public unsafe void Accept(RelayLoop loop, Socket listener)
    {
        var listenFd = (int)listener.Handle;
        var address = stackalloc byte[SocketAddresses.MaxLength];
        for (int i = 0; i < AcceptBatch; i++)
        {
            int length = SocketAddresses.MaxLength;
            // Blocking descriptors: the loop reads and writes with MSG_DONTWAIT, and .NET's Socket (made at the upgrade)
            // then sees the blocking socket it expects for its streams.
            int fd = LinuxSockets.accept4(listenFd, address, &length, LinuxSockets.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = LinuxSockets.Errno;
                if (errno == LinuxSockets.EAGAIN)
                    return;
                if (errno is LinuxSockets.EINTR or LinuxSockets.ECONNABORTED)
                    continue;
                // Out of descriptors (EMFILE/ENFILE) or memory: the kernel keeps the connections queued; stop accepting on this
                // loop for a moment instead of spinning on a level-triggered listening socket.
                logger.LogWarning("The gateway cannot accept connections: {Error}. Raise the open-files limit (ulimit -n).", LinuxSockets.Describe(errno));
                AcceptPause.Start(loop, listener, this);
                return;
            }
            var remote = SocketAddresses.Read(address, length);
            var target = LeastBusy(loop);
            if (target == loop)
            {
                new FrontHandshake(this, loop, fd, remote).Start();
                continue;
            }
            // The kernel wakes whichever loop waits, so a burst of connections lands on one: a loop with clearly more
            // connections than another hands the new one over (one wake-up) and the relays stay spread over the cores.
            target.Incoming(1);
            target.Post(() =>
            {
                target.Incoming(-1);
                new FrontHandshake(this, target, fd, remote).Start();
            });
        }
    }
}
