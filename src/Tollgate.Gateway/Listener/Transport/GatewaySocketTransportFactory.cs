using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>
/// The gateway's own Kestrel transport. Kestrel's socket transport keeps reading a connection until it is disposed, so it
/// can never let the socket go; this one reads only when asked (streams under the pipes, no background loop), so once the
/// upgrade is done the plain TCP socket can be handed to a relay loop that owns it outright (<see cref="ISocketHandover"/>).
/// TLS ports run on it too (Kestrel's HTTPS middleware over its pipes); their sockets are never handed over.
/// </summary>
internal sealed class GatewaySocketTransportFactory(IServiceProvider services) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Front.LoopFrontSettings? _front = services.GetService<Front.LoopFrontSettings>();

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
        var loopFront = _front is { } front && front.Port == ip.Port && ip.Port != 0;
        if (loopFront)
            Front.DeferredAccept.Prepare(socket);
        socket.Listen(512);
        // The plain gateway port: the socket loops accept and handshake on it themselves.
        if (loopFront)
            return new ValueTask<IConnectionListener>(new Front.LoopFrontListener(socket, local => new Front.LoopFront(
                services.GetRequiredService<GatewayRequestHandler>(), services.GetRequiredService<Backend.BackendConnector>(), services,
                _front!.Listener, local, services.GetRequiredService<ILoggerFactory>().CreateLogger<Front.LoopFront>())));
        return new ValueTask<IConnectionListener>(new GatewaySocketListener(socket));
    }
}
