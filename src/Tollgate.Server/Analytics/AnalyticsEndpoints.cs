using System.Security.Claims;
using Tollgate.ControlPlane.Analytics;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Applications;
using Tollgate.Gateway.Connections;
using Tollgate.Server.Auth;
using Tollgate.Server.Metrics;
using Tollgate.Server.Problems;

namespace Tollgate.Server.Analytics;

/// <summary>
/// Analytics as JSON (or CSV with <c>?format=csv</c>): per API and an overview for publishers, per application for its owner,
/// live open connections, and <c>/metrics</c> in Prometheus text format for administrators.
/// </summary>
internal static class AnalyticsEndpoints
{
    public static void MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        var publisher = app.MapGroup("/api/publisher/analytics").RequireAuthorization(Policies.PublisherPortal);

        publisher.MapGet("/apis", async (string? range, string? format, AnalyticsQueries queries, CancellationToken ct) =>
            await ReportAsync(queries, AnalyticsScope.All, null, range, format, "all-apis", ct));

        publisher.MapGet("/apis/{id:guid}", async (Guid id, string? range, string? format, ApiCatalog catalog, AnalyticsQueries queries, CancellationToken ct) =>
            await catalog.FindAsync(id, ct) is null
                ? Problem.NotFound($"There is no API with id {id}.")
                : await ReportAsync(queries, AnalyticsScope.Api, id, range, format, $"api-{id}", ct));

        publisher.MapGet("/live", (LiveConnections live) =>
        {
            var items = live.List().GroupBy(c => (c.ApiId, c.Api))
                .Select(g => new { apiId = g.Key.ApiId, api = g.Key.Api, open = g.Count() })
                .OrderBy(x => x.api, StringComparer.Ordinal).ToArray();
            return Results.Ok(new { open = live.Count, items });
        });

        app.MapGet("/api/devportal/analytics/applications/{id:guid}", async (Guid id, string? range, string? format, ClaimsPrincipal user,
                ApplicationService apps, AnalyticsQueries queries, CancellationToken ct) =>
            (await apps.GetAsync(user.ToActor(), id, ct)).Error is { } error
                ? Problem.From(error)
                : await ReportAsync(queries, AnalyticsScope.Application, id, range, format, $"application-{id}", ct))
            .RequireAuthorization(Policies.Subscriber);

        app.MapGet("/metrics", (PrometheusExporter exporter) => Results.Text(exporter.Scrape(), PrometheusExporter.ContentType))
            .RequireAuthorization(Policies.Admin);
    }

    private static async Task<IResult> ReportAsync(AnalyticsQueries queries, AnalyticsScope scope, Guid? id, string? rangeName, string? format,
        string fileName, CancellationToken ct)
    {
        if (AnalyticsRange.Parse(rangeName) is not { } range)
            return Problem.Field("range", $"range '{rangeName}' is not known: use hour, day, week, month or year.");
        if (format is not (null or "json" or "csv"))
            return Problem.Field("format", $"format '{format}' is not known: use json or csv.");
        var report = await queries.ReportAsync(scope, id, range, DateTime.UtcNow, ct);
        return format == "csv"
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(AnalyticsQueries.ToCsv(report)), "text/csv; charset=utf-8", $"{fileName}-{range.Name}.csv")
            : Results.Ok(report);
    }
}
