using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>
/// The gateway's own Kestrel transport. Kestrel's socket transport keeps reading a connection until it is disposed, so it
/// can never let the socket go; this one reads only when asked (streams under the pipes, no background loop), so once the
/// upgrade is done the plain TCP socket can be handed to a relay loop that owns it outright (<see cref="ISocketHandover"/>).
/// TLS ports run on it too (Kestrel's HTTPS middleware over its pipes); their sockets are never handed over.
/// </summary>
internal sealed class GatewaySocketTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
            throw new NotSupportedException($"the gateway transport listens on IP addresses only, not {endpoint}");
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(ip);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        socket.Listen(512);
        return new ValueTask<IConnectionListener>(new GatewaySocketListener(socket));
    }
}
