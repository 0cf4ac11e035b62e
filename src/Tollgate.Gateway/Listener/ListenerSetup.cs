using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>Large receive/send blocks for the gateway's Kestrel (see <see cref="LargeBlockMemoryPool"/>).</summary>
    public static IServiceCollection AddGatewayMemoryPool(this IServiceCollection services) => LargeBlockMemoryPool.AddTo(services);
}
