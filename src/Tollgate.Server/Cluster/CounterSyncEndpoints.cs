using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Core.Validation;
using Tollgate.Gateway.Throttling.Cluster;
using Tollgate.Server.Problems;

namespace Tollgate.Server.Cluster;

/// <summary>
/// <c>POST /api/cluster/counters</c>: gateway nodes exchange their throttling counters here, every sync interval
/// (docs/rest-api.md, Throttling). Authorised by the node secret only (<c>Authorization: Node &lt;secret&gt;</c>).
/// </summary>
internal static partial class CounterSyncEndpoints
{
    public const string Path = "/api/cluster/counters";
    public const long MaxBodyBytes = 2 * 1024 * 1024;
    private const int MaxErrors = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static int _storeDown;

    public static IServiceCollection AddCounterSync(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CounterSyncAggregator>();
        services.AddHostedService<CounterSyncPurge>();
        return services;
    }

    public static IEndpointRouteBuilder MapCounterSyncEndpoints(this IEndpointRouteBuilder app)
    {
        // Not a user's request: the node secret, checked in the handler, is its authorisation.
        app.MapPost(Path, HandleAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, NodeSecretVerifier nodes, CounterSyncAggregator aggregator,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (!nodes.IsValid(context))
            return nodes.Unauthorized();

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBodyBytes;
        CounterSyncRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<CounterSyncRequest>(context.Request.Body, Json, ct);
        }
        catch (JsonException e)
        {
            return Problem.Field(e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body", $"The body is not a counter exchange: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: 413, title: "Too many counters in one exchange.",
                detail: $"The body may be at most {MaxBodyBytes / 1024} KiB: send the counters in several exchanges.");
        }
        if (request is null)
            return Problem.Field("body", "Send a JSON object {\"node\",\"rates\",\"quotas\",\"connections\"}.");
        var errors = Validate(request);
        if (!errors.IsEmpty)
            return Problem.Validation(errors);

        var logger = loggers.CreateLogger("Tollgate.Server.Cluster.CounterSync");
        try
        {
            var answer = await aggregator.ExchangeAsync(request, ct);
            if (Interlocked.Exchange(ref _storeDown, 0) == 1)
                LogStoreBack(logger);
            return Results.Json(answer, Json);
        }
        catch (Exception e) when (IsStoreUnavailable(e) && !ct.IsCancellationRequested)
        {
            if (Interlocked.Exchange(ref _storeDown, 1) == 0)
                LogStoreDown(logger, e.GetBaseException().Message);
            return Results.Problem(statusCode: 503, title: "The counter store is unavailable.",
                detail: "The control plane cannot reach its database: gateway nodes enforce local limits until it is back.");
        }
    }

    /// <summary>Field-level errors (at most a few), e.g. <c>rates[3].key</c>.</summary>
    internal static ValidationErrors Validate(CounterSyncRequest request)
    {
        var errors = new ValidationErrors();
        void Add(string field, string message)
        {
            if (errors.Count < MaxErrors)
                errors.Add(field, message);
        }

        if (string.IsNullOrWhiteSpace(request.Node) || request.Node.Length > CounterSyncRequest.MaxNodeLength || request.Node.Any(char.IsControl))
            Add("node", $"node must be the gateway node's name, 1 to {CounterSyncRequest.MaxNodeLength} printable characters.");
        if (request.EntryCount > CounterSyncRequest.MaxEntries)
        {
            Add("body", $"{request.EntryCount} counters in one exchange: send at most {CounterSyncRequest.MaxEntries} (rates, quotas and connections together).");
            return errors;
        }
        void Key(string field, string? key, HashSet<string> seen, string unique)
        {
            if (string.IsNullOrEmpty(key) || key.Length > CounterSyncRequest.MaxKeyLength || key.Any(char.IsControl))
                Add(field, $"key must be a counter key of 1 to {CounterSyncRequest.MaxKeyLength} printable characters.");
            else if (!seen.Add(unique))
                Add(field, $"key '{key}' appears twice: send each counter once per exchange.");
        }

        var rates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (r, i) in (request.Rates ?? []).Select((r, i) => (r, i)))
        {
            if (r is null) { Add($"rates[{i}]", "must be an object {\"key\",\"consumed\"}."); continue; }
            Key($"rates[{i}].key", r.Key, rates, r.Key ?? "");
            if (r.Consumed < 0)
                Add($"rates[{i}].consumed", "consumed must be 0 or more.");
        }
        var quotas = new HashSet<string>(StringComparer.Ordinal);
        long maxWindow = (long)TimeSpan.FromDays(31).TotalMilliseconds;
        foreach (var (q, i) in (request.Quotas ?? []).Select((q, i) => (q, i)))
        {
            if (q is null) { Add($"quotas[{i}]", "must be an object {\"key\",\"windowStart\",\"windowEnd\",\"consumed\"}."); continue; }
            Key($"quotas[{i}].key", q.Key, quotas, $"{q.Key}\n{q.WindowStart}");
            if (q.WindowStart <= 0)
                Add($"quotas[{i}].windowStart", "windowStart must be the window's start in Unix milliseconds.");
            if (q.WindowEnd <= q.WindowStart || q.WindowEnd - q.WindowStart > maxWindow)
                Add($"quotas[{i}].windowEnd", "windowEnd must follow windowStart, at most 31 days later (hour, day or month).");
            if (q.Consumed < 0)
                Add($"quotas[{i}].consumed", "consumed must be 0 or more.");
        }
        var connections = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (c, i) in (request.Connections ?? []).Select((c, i) => (c, i)))
        {
            if (c is null) { Add($"connections[{i}]", "must be an object {\"key\",\"count\"}."); continue; }
            Key($"connections[{i}].key", c.Key, connections, c.Key ?? "");
            if (c.Count is < 0)
                Add($"connections[{i}].count", "count must be 0 or more (or null to only read the other nodes' counts).");
        }
        return errors;
    }

    private static bool IsStoreUnavailable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is DbException or TimeoutException or System.Net.Sockets.SocketException)
                return true;
        }
        return false;
    }

    [LoggerMessage(EventId = 1120, Level = LogLevel.Warning,
        Message = "Counter exchanges fail: the database is unreachable ({Reason}); gateway nodes enforce local limits until it is back.")]
    private static partial void LogStoreDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Information, Message = "Counter exchanges work again: limits are shared across gateway nodes.")]
    private static partial void LogStoreBack(ILogger logger);
}
