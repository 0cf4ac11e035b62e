using Tollgate.ControlPlane.Cluster;
using Tollgate.Server.Admin;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.Cluster;

/// <summary>The control plane's cluster features: the stream gateway nodes follow, and the list of nodes.</summary>
internal static class ClusterSetup
{
    public static IServiceCollection AddTollgateCluster(this IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton<NodeStreamHub>();
        services.AddSingleton<GatewayNodeService>();
        if (options.RunsGateway)
            services.AddHostedService<LocalNodeHeartbeat>();
        else
            services.AddHostedService<NodeAnalyticsRetention>();
        return services;
    }

    public static void MapTollgateCluster(this WebApplication app)
    {
        app.UseWebSockets();
        app.MapNodeStream();
        app.MapGatewayNodeApi();
        if (!app.Services.GetRequiredService<NodeSecretVerifier>().Enabled)
            app.Logger.LogInformation("No --node-secret: this control plane accepts no gateway node (--role gateway processes)");
    }
}
