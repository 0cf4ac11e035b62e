using System.Net.Sockets;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Relay;

/// <summary>
/// An upgraded client connection that is a plain TCP socket the gateway owns outright (the gateway's own transport handed
/// it over after the 101): the socket loop can then relay it without any stream in between.
/// </summary>
internal interface ISocketSource
{
    Socket Socket { get; }

    /// <summary>Bytes the handshake had already read past the request head (a client that did not wait for the 101).</summary>
    ReadOnlyMemory<byte> Leftover { get; }

    /// <summary>Set when the handshake ran on a loop (the gateway's front): the relay stays there and takes its slot.</summary>
    FrontSlot? Front => null;
}
