using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Tollgate.Core.Changes;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Endpoints;
using Tollgate.Server.Admin;
using Tollgate.Server.Analytics;
using Tollgate.Server.Metrics;
using Tollgate.Server.Auth;
using Tollgate.Server.Cluster;
using Tollgate.Server.DevPortal;
using Tollgate.Server.GatewaySync;
using Tollgate.Server.Publisher;
using Tollgate.ControlPlane;
using Tollgate.Portal;
using Tollgate.Store;

namespace Tollgate.Server.Hosting;

/// <summary>The control plane: REST API, OAuth2 key manager, and the snapshot feed for the gateway.</summary>
internal static class ControlPlaneHost
{
    public static WebApplication Build(string[] args, ServerOptions options, SnapshotHolder snapshots, ChangeFeed changes, LiveConnections live, X509Certificate2 certificate,
        AnalyticsRecorder analytics, PrometheusExporter exporter)
    {
        var builder = WebApplication.CreateBuilder(HostStartOptions.For(args));
        LogFormat.Configure(builder.Logging, options);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            KestrelBinding.Listen(k, options.BindAddress, options.HttpsPort, l => l.UseHttps(certificate));
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<Cluster.NodeSecretVerifier>();
        Cluster.ClusterSetup.AddTollgateCluster(services, options);
        Cluster.CounterSyncEndpoints.AddCounterSync(services);
        services.AddSingleton(changes);
        services.AddSingleton(snapshots);
        services.AddSingleton(live);
        services.AddSingleton(analytics);
        services.AddSingleton(exporter);
        services.AddSingleton<Tollgate.ControlPlane.Analytics.ILiveConnectionCounts>(new LiveConnectionCounts(live));
        services.AddHostedService<AnalyticsWriter>();
        services.AddTollgateStore(options.Store, options.StoreIsPostgres);
        services.AddTollgateKeyManager(options.DataFolder, new KeyManagerOptions(
            options.Issuer, TimeSpan.FromHours(1), TimeSpan.FromDays(14), TimeSpan.FromDays(365)));
        services.AddTollgateControlPlane(new GatewayUrls(options.PublicHost, options.GatewayPort, options.GatewayTlsPort, options.HttpsPort));
        services.AddSingleton<SnapshotBuilder>();
        services.AddSingleton<SnapshotPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotPublisher>());
        services.AddProblemDetails();
        // Antiforgery and cookies of the portals survive restarts: their keys live in the data folder too.
        services.AddDataProtection()
            .SetApplicationName("Tollgate")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataFolder, "keys", "data-protection")));
        services.AddTollgatePostgresCluster(options.StoreIsPostgres); // PostgreSQL: shared key ring (replaces the file one) and change notices
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.AllowTrailingCommas = true;
        });
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(Policies.Configure);
        services.AddTollgatePortal(new PortalOptions(options.BackendConnectTimeout));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseTollgatePortal();
        app.MapOAuth2();
        app.MapPublisherApi();
        app.MapDevPortalApi();
        app.MapAdminApi();
        app.MapAnalyticsApi();
        Cluster.ClusterSetup.MapTollgateCluster(app);
        Cluster.CounterSyncEndpoints.MapCounterSyncEndpoints(app);
        Cluster.TicketLedgerEndpoints.MapTicketLedgerEndpoints(app);
        app.MapTollgatePortal();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).AllowAnonymous();
        app.MapGet("/api/info", () => Results.Ok(new
        {
            controlPlane = options.ControlPlaneUrl,
            gateway = $"ws://{options.PublicHost}:{options.GatewayPort}",
            gatewayTls = options.GatewayTlsPort > 0 ? $"wss://{options.PublicHost}:{options.GatewayTlsPort}" : null,
            sampleBackend = options.EchoPort > 0 && options.RunsControlPlane ? options.EchoBackendUrl : null,
        })).AllowAnonymous();
        return app;
    }
}
