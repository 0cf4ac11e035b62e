using System.Net.Sockets;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Relay;

/// <summary>
/// A connection that is a plain TCP socket the gateway owns outright (a client socket its own transport or the loop front
/// handed over after the 101, or a backend socket): the socket loop can then relay it without any stream in between.
/// </summary>
internal interface ISocketSource
{
    /// <summary>The descriptor the loop reads and writes.</summary>
    int Fd { get; }

    /// <summary>Closes the socket when the relay is over.</summary>
    IDisposable Owner { get; }

    /// <summary>Bytes the handshake had already read past the request head (a client that did not wait for the 101).</summary>
    ReadOnlyMemory<byte> Leftover { get; }

    /// <summary>Set when the handshake ran on a loop (the gateway's front): the relay stays there and takes its slot.</summary>
    FrontSlot? Front => null;

    /// <summary>Whether .NET's socket engine may have registered the socket in its epoll sets (see <see cref="ForeignEpollRegistrations"/>).</summary>
    bool MayBeOnDotNetEngine => true;
}

/// <summary>A connected .NET <see cref="Socket"/> (a ws:// backend .NET's sockets connected) as a loop source.</summary>
internal sealed class SocketSource(Socket socket) : ISocketSource
{
    public int Fd { get; } = (int)socket.Handle;
    public IDisposable Owner => socket;
    public ReadOnlyMemory<byte> Leftover => ReadOnlyMemory<byte>.Empty;
}
