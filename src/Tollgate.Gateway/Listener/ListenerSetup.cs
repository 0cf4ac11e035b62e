using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Gateway.Listener;

public static class ListenerSetup
{
    /// <summary>
    /// Serves this endpoint with the gateway's own upgrade handling instead of Kestrel's HTTP layer (after
    /// <c>UseHttps</c> for a wss:// port). The gateway app must still call <c>UseTollgateGateway</c> (registry, shutdown).
    /// </summary>
    public static ListenOptions UseTollgateGatewayListener(this ListenOptions listen, GatewayListenerOptions options)
    {
        listen.Use(_ =>
        {
            // Built when Kestrel starts, from the app's services.
            var handler = ActivatorUtilities.CreateInstance<GatewayConnectionHandler>(listen.ApplicationServices, options);
            return handler.OnConnectedAsync;
        });
        return listen;
    }

    /// <summary>
    /// Puts the gateway's Kestrel on <see cref="Transport.GatewaySocketTransportFactory"/> instead of Kestrel's socket
    /// transport, so upgraded plain-TCP connections can be handed to the relay loops. Only for a Kestrel that serves
    /// gateway ports alone.
    /// </summary>
    /// <param name="front">The plain port the socket loops accept on and handshake themselves (<see cref="Front.LoopFront"/>); null: none.</param>
    public static IServiceCollection AddGatewaySocketTransport(this IServiceCollection services, Front.LoopFrontSettings? front = null)
    {
        if (front is not null)
            services.AddSingleton(front);
        services.RemoveAll<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>();
        services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, Transport.GatewaySocketTransportFactory>();
        return services;
    }

    /// <summary>Large receive/send blocks for the gateway's Kestrel (see <see cref="LargeBlockMemoryPool"/>).</summary>
    public static IServiceCollection AddGatewayMemoryPool(this IServiceCollection services) => LargeBlockMemoryPool.AddTo(services);
}
