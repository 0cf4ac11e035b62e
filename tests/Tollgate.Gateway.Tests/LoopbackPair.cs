using System.Net;
using System.Net.Sockets;

namespace Tollgate.Gateway.Tests;

/// <summary>Two connected loopback TCP streams, so tests can put the relay between a raw or WebSocket peer and another.</summary>
internal static class LoopbackPair
{
    public static async Task<(NetworkStream Near, NetworkStream Far)> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var near = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptSocketAsync();
        await near.ConnectAsync(listener.LocalEndpoint);
        var far = await accept;
        far.NoDelay = true;
        return (new NetworkStream(near, ownsSocket: true), new NetworkStream(far, ownsSocket: true));
    }
}
