using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Changes;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.Server.Bootstrap;
using Tollgate.Server.EchoBackend;
using Tollgate.Server.GatewaySync;
using Tollgate.Server.Hosting;
using Tollgate.Server.Metrics;
using Tollgate.Store;

// One executable, every role: control plane (REST, OAuth2, portals), gateway, and the sample echo backend.
GatewayHost.TuneProcess(); // before any socket: see there
var config = new ConfigurationBuilder()
    .AddEnvironmentVariables("TOLLGATE_")
    .AddCommandLine(args)
    .Build();

ServerOptions options;
try
{
    options = ServerOptions.From(config);
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

if (!options.RunsControlPlane)
{
    Console.Error.WriteLine("error: --role gateway needs a control plane to follow, which this version does not support yet: use --role all.");
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
var live = new LiveConnections(Environment.MachineName);
var hosts = new List<WebApplication>();
// Metrics are collected from the start; the gateway's analytics recorder hands batches to the control plane's writer.
using var exporter = new PrometheusExporter();
using var gatewayMetrics = new GatewayMetrics();
var analyticsSettings = options.AnalyticsOrDefault;
using var analytics = new AnalyticsRecorder(new AnalyticsOptions(analyticsSettings.Enabled, analyticsSettings.FlushInterval), gatewayMetrics);

var controlPlane = ControlPlaneHost.Build(args, options, snapshots, changes, live, certificate, analytics, exporter);
hosts.Add(controlPlane);
var logger = controlPlane.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate");
await FirstStart.RunAsync(controlPlane.Services.GetRequiredService<IDbContextFactory<TollgateDb>>(), logger, CancellationToken.None);
await controlPlane.Services.GetRequiredService<RevocationList>().LoadAsync(CancellationToken.None);
await controlPlane.Services.GetRequiredService<SnapshotPublisher>().PublishInitialAsync(CancellationToken.None);

if (options.RunsGateway)
    hosts.Add(GatewayHost.Build(options, snapshots, live, certificate,
        controlPlane.Services.GetRequiredService<SigningKeyStore>(), options.ControlPlaneUrl, analytics));
if (analyticsSettings.MetricsPort > 0)
    hosts.Add(MetricsHost.Build(options, exporter));
if (options.EchoPort > 0 && options.Role == ServerRole.All)
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

Console.WriteLine($"Control plane:  {options.ControlPlaneUrl}  (data in {options.DataFolder})");
if (options.RunsGateway)
    Console.WriteLine($"Gateway:        ws://{options.PublicHost}:{options.GatewayPort}" + (options.GatewayTlsPort > 0 ? $"  wss://{options.PublicHost}:{options.GatewayTlsPort}" : ""));
if (analyticsSettings.MetricsPort > 0)
    Console.WriteLine($"Metrics:        http://{options.PublicHost}:{analyticsSettings.MetricsPort}/metrics");
if (options.EchoPort > 0 && options.Role == ServerRole.All)
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
