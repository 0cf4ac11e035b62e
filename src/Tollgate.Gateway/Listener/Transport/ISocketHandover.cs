using System.Net.Sockets;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>A connection feature of <see cref="GatewaySocketTransportFactory"/>: gives up the socket after the handshake.</summary>
internal interface ISocketHandover
{
    /// <summary>
    /// Stops the transport from ever touching the socket again (its pipes end, disposing the connection leaves the socket
    /// open) and returns it with any bytes already read but not consumed. Null when it was handed over already.
    /// </summary>
    (Socket Socket, byte[] Leftover)? TakeSocket();
}
