using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Changes;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Sync;
using Tollgate.Gateway.Throttling.Cluster;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.Server.Bootstrap;
using Tollgate.Server.EchoBackend;
using Tollgate.Server.GatewaySync;
using Tollgate.Server.Hosting;
using Tollgate.Server.Metrics;
using Tollgate.Store;

// One executable, every role: control plane (REST, OAuth2, portals), gateway, and the sample echo backend.
args = CommandLineFlags.Normalize(args);
ServerOptions options;
try
{
    // Lowest to highest: the --config file, TOLLGATE_* environment variables, the command line.
    var configFile = ConfigFile.PathFrom(args);
    var config = new ConfigurationBuilder()
        .AddInMemoryCollection(configFile is null ? [] : ConfigFile.Read(configFile))
        .AddEnvironmentVariables("TOLLGATE_")
        .AddInMemoryCollection(EnvironmentOptions.Hyphenated()) // TOLLGATE_NODE_SECRET → node-secret
        .AddCommandLine(args)
        .Build();
    options = ServerOptions.From(config);
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
GatewayHost.TuneProcess(options); // before any socket: see there

if (options.NodeName.Length > 200)
{
    Console.Error.WriteLine("error: --node-name is too long: use at most 200 characters.");
    return 2;
}

Directory.CreateDirectory(options.DataFolder);
X509Certificate2 certificate;
try
{
    certificate = CertificateProvider.Load(options);
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
var snapshots = new SnapshotHolder();
var changes = new ChangeFeed();
var live = new LiveConnections(options.NodeName);
var hosts = new List<WebApplication>();
// Metrics are collected from the start; the gateway's analytics recorder hands batches to the control plane's writer.
using var exporter = new PrometheusExporter();
using var gatewayMetrics = new GatewayMetrics();
var analyticsSettings = options.AnalyticsOrDefault;
using var analytics = new AnalyticsRecorder(new AnalyticsOptions(analyticsSettings.Enabled, analyticsSettings.FlushInterval), gatewayMetrics);

WebApplication? controlPlane = null;
if (options.RunsControlPlane)
{
    try
    {
        controlPlane = ControlPlaneHost.Build(args, options, snapshots, changes, live, certificate, analytics, exporter);
        var startLogger = controlPlane.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate");
        await FirstStart.RunAsync(controlPlane.Services.GetRequiredService<IDbContextFactory<TollgateDb>>(), startLogger, CancellationToken.None);
        await controlPlane.Services.GetRequiredService<RevocationList>().LoadAsync(CancellationToken.None);
        await controlPlane.Services.GetRequiredService<SnapshotPublisher>().PublishInitialAsync(CancellationToken.None);
    }
    catch (Exception e) when ((e as StoreException ?? (options.StoreIsPostgres ? PostgresStore.Explain(e, options.Store) : null)) is { } store)
    {
        // A store that is misnamed, down or refusing: one clear line naming --store, no stack trace.
        Console.Error.WriteLine($"error: {store.Message}");
        return store.ExitCode;
    }
    hosts.Add(controlPlane);
}

if (controlPlane is not null && options.RunsGateway)
    hosts.Add(GatewayHost.Build(options, snapshots, live, certificate,
        controlPlane.Services.GetRequiredService<SigningKeyStore>(), options.Issuer, analytics));
else if (options.Role == ServerRole.Gateway)
    // A gateway node: no database, no key manager, no private key (so no caller JWTs); it follows the control plane's
    // stream (its analytics go back on the same socket) and shares its throttling counters with the other nodes.
    hosts.Add(GatewayHost.Build(options, snapshots, live, certificate, signingKeys: null, options.ControlPlane!.ToString().TrimEnd('/'), analytics,
        services => services
            .AddTollgateNodeSync(new NodeSyncOptions(options.ControlPlane!, options.NodeSecret!, options.NodeName,
                Tollgate.Server.Cluster.TollgateVersion.Current, options.AcceptAnyControlPlaneCertificate))
            .AddClusterThrottling(new ClusterThrottlingOptions(options.ControlPlane!, options.NodeSecret!, options.NodeName,
                options.AcceptAnyControlPlaneCertificate))
            .AddClusterTickets(options.ControlPlane!, options.NodeSecret!, options.AcceptAnyControlPlaneCertificate)));
if (analyticsSettings.MetricsPort > 0)
    hosts.Add(MetricsHost.Build(options, exporter));
// The sample echo backend runs beside the control plane (all-in-one or control-plane role), never on a gateway node.
if (options.EchoPort > 0 && options.RunsControlPlane)
    hosts.Add(EchoBackendHost.Build(options));

try
{
    foreach (var host in hosts)
        await host.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"error: {e.Message} Another program (or another Tollgate) uses that port: stop it, or choose other ports with --https-port, --gateway-port, --gateway-tls-port, --echo-port and --metrics-port.");
    return 1;
}

if (options.RunsControlPlane)
{
    Console.WriteLine($"Control plane:  {options.ControlPlaneUrl}  (data in {options.DataFolder})");
    Console.WriteLine($"Store:          {StoreDescription.Of(options)}");
}
else
    Console.WriteLine($"Following:      {options.ControlPlane} as gateway node {options.NodeName}");
if (options.RunsGateway)
    Console.WriteLine($"Gateway:        ws://{options.PublicHost}:{options.GatewayPort}" + (options.GatewayTlsPort > 0 ? $"  wss://{options.PublicHost}:{options.GatewayTlsPort}" : ""));
if (analyticsSettings.MetricsPort > 0)
    Console.WriteLine($"Metrics:        http://{options.PublicHost}:{analyticsSettings.MetricsPort}/metrics");
if (options.EchoPort > 0 && options.RunsControlPlane)
    Console.WriteLine($"Echo backend:   {options.EchoBackendUrl}");
Console.WriteLine("Tollgate is ready");

var stop = new TaskCompletionSource();
foreach (var host in hosts)
    host.Lifetime.ApplicationStopping.Register(() => stop.TrySetResult());
await stop.Task;
// Gateway first so live connections get their 1001 while the control plane is still up.
foreach (var host in Enumerable.Reverse(hosts))
    await host.StopAsync(TimeSpan.FromSeconds(10));
return 0;
