using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Gateway;

public static class GatewaySetup
{
    /// <summary>Registers the data plane around a snapshot holder that the control plane (or a sync client) fills.</summary>
    public static IServiceCollection AddTollgateGateway(this IServiceCollection services, SnapshotHolder snapshots, GatewayOptions options, LiveConnections live, AnalyticsRecorder? analytics = null)
    {
        services.AddSingleton(snapshots);
        services.AddSingleton(live);
        services.AddSingleton(options);
        services.AddSingleton<HandshakeValidator>();
        services.AddSingleton<CallerTokens>();
        services.AddSingleton<Authorization.AuthorizationUrlClient>();
        services.AddSingleton(new TicketLedger());
        services.AddSingleton(new BackendConnector(new BackendOptions(options.AcceptAnyBackendCertificate, NameLifetime: options.BackendNameLifetime)));
        services.AddSingleton<IThrottleCounterStore, LocalThrottleCounterStore>();
        services.AddSingleton<ThrottleService>();
        services.AddSingleton<LiveConnectionRegistry>();
        services.AddSingleton(analytics ?? new AnalyticsRecorder(AnalyticsOptions.Default with { Enabled = false }, new GatewayMetrics()));
        services.AddSingleton<GatewayRequestHandler>();
        services.AddHostedService<ConnectionDrain>();
        return services;
    }

    /// <summary>Every request on the gateway port is a WebSocket connection attempt.</summary>
    public static void UseTollgateGateway(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<GatewayRequestHandler>();
        var registry = app.Services.GetRequiredService<LiveConnectionRegistry>();
        app.Services.GetRequiredService<LiveConnections>().Attach(registry);
        // On shutdown, tell every client the gateway is going away (1001) instead of dropping the TCP connection.
        app.Lifetime.ApplicationStopping.Register(() => registry.CloseAll(LiveConnectionRegistry.GoingAway, "gateway shutting down"));
        app.Run(handler.HandleAsync);
    }
}
