using System.Net.Sockets;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// Options of the loop front's listening socket (Linux), each one a system call or a wake-up fewer per connection:
/// <list type="bullet">
/// <item>TCP_DEFER_ACCEPT: the kernel queues a connection for accept only once its first bytes (the upgrade request) have
/// arrived, so the loop that accepts it reads the request at once instead of registering the socket and waiting for the
/// next wake-up. A client that sends nothing is accepted after about a second anyway, and the handshake time-out applies
/// from there, as before. TOLLGATE_FRONT_DEFER=0 turns it off.</item>
/// <item>TCP_NODELAY: accepted sockets inherit it from the listener, so frames still go out as soon as they are written
/// (Kestrel's default) without a setsockopt per connection.</item>
/// </list>
/// </summary>
internal static class DeferredAccept
{
    private const int IPPROTO_TCP = 6, TCP_DEFER_ACCEPT = 9;

    /// <summary>How long a silent connection waits in the kernel before it is accepted all the same (rounded by the kernel
    /// to its SYN-ACK retransmissions).</summary>
    private const int DeferSeconds = 1;

    public static bool IsEnabled { get; } = Environment.GetEnvironmentVariable("TOLLGATE_FRONT_DEFER") != "0";

    /// <summary>Before <see cref="Socket.Listen()"/>.</summary>
    public static void Prepare(Socket listener)
    {
        listener.NoDelay = true;
        if (IsEnabled)
            listener.SetRawSocketOption(IPPROTO_TCP, TCP_DEFER_ACCEPT, BitConverter.GetBytes(DeferSeconds));
    }
}
