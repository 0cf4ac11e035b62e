using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>Accepts on one listening socket for <see cref="GatewaySocketTransportFactory"/>.</summary>
internal sealed class GatewaySocketListener(Socket listenSocket) : IConnectionListener
{
    private long _nextId;

    public EndPoint EndPoint { get; } = listenSocket.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument)
            {
                return null;
            }
            catch (SocketException)
            {
                continue; // the client gave up before the accept (ECONNABORTED and the like)
            }
            socket.NoDelay = true; // frames go out as soon as they are written, as with Kestrel's default
            return new GatewaySocketConnection(socket, Interlocked.Increment(ref _nextId));
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        listenSocket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        listenSocket.Dispose();
        return ValueTask.CompletedTask;
    }
}
