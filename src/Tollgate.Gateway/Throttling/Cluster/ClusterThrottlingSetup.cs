using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Tollgate.Gateway.Throttling.Cluster;

public static class ClusterThrottlingSetup
{
    /// <summary>
    /// Shares this gateway node's throttling counters with the other nodes through the control plane: replaces the
    /// local counter store registered by <see cref="GatewaySetup.AddTollgateGateway"/> (call it after that) and
    /// runs the sync loop while the host runs.
    /// </summary>
    public static IServiceCollection AddClusterThrottling(this IServiceCollection services, ClusterThrottlingOptions options)
    {
        options.Validate();
        services.RemoveAll<IThrottleCounterStore>();
        services.AddSingleton(options);
        services.AddSingleton<LocalThrottleCounterStore>(_ => new LocalThrottleCounterStore());
        services.AddSingleton<ICounterSyncTransport>(_ => new HttpCounterSyncTransport(options));
        services.AddSingleton<ClusterThrottleCounterStore>();
        services.AddSingleton<IThrottleCounterStore>(sp => sp.GetRequiredService<ClusterThrottleCounterStore>());
        services.AddHostedService<ClusterThrottleSyncService>();
        return services;
    }
}

/// <summary>Runs the counter exchange for as long as the gateway host runs.</summary>
internal sealed class ClusterThrottleSyncService(ClusterThrottleCounterStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => store.StopAsync();
}
