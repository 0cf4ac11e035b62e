using Tollgate.Server.Hosting;

namespace Tollgate.Server.Metrics;

/// <summary>A plain-HTTP port that answers <c>GET /metrics</c> without a token, for scrapers on a trusted network (<c>--metrics-port N</c>).</summary>
internal static class MetricsHost
{
    public static WebApplication Build(ServerOptions options, PrometheusExporter exporter)
    {
        var builder = WebApplication.CreateSlimBuilder(HostStartOptions.For());
        LogFormat.Configure(builder.Logging, options);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            KestrelBinding.Listen(k, options.BindAddress, options.AnalyticsOrDefault.MetricsPort, _ => { });
        });
        var app = builder.Build();
        app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), PrometheusExporter.ContentType));
        return app;
    }
}
