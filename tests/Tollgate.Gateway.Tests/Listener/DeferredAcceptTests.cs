using System.Net;
using System.Net.Sockets;
using System.Text;
using Tollgate.Gateway.Listener.Front;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>
/// The loop front's listening socket: a connection is handed to accept only with its first bytes, and accepted sockets
/// inherit TCP_NODELAY. The kernel behaviour the front relies on, checked on a real loopback listener.
/// </summary>
public sealed class DeferredAcceptTests
{
    [Fact]
    public async Task A_connection_is_accepted_with_its_first_bytes_and_inherits_no_delay()
    {
        using var listener = PreparedListener(out var port);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port); // the client's side is connected at once
        var accepting = listener.AcceptAsync();
        await Task.Delay(300);
        Assert.False(accepting.IsCompleted, "a connection that has sent nothing must wait in the kernel, not wake a loop");

        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n"));
        using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(accepted.Available > 0, "the request must be readable as soon as the connection is accepted");
        Assert.True(accepted.NoDelay, "accepted sockets must inherit TCP_NODELAY from the listener");
    }

    [Fact]
    public async Task A_silent_connection_is_accepted_after_the_deferral_all_the_same()
    {
        using var listener = PreparedListener(out var port);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port);
        // The handshake time-out must still get its chance at a client that never speaks: the kernel gives it up.
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, accepted.Available);
    }

    /// <summary>A loopback listener set up as the loop front's is.</summary>
    private static Socket PreparedListener(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        DeferredAccept.Prepare(listener);
        listener.Listen(16);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }
}
