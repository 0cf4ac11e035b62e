using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.Core.Plans;

// Wire shapes of plans and API throttling (docs/rest-api.md). The same JSON is what the store keeps, so a
// plan reads back exactly as the admin wrote it. Enum-like fields are strings here so validation can say
// what to change instead of failing the whole body.

/// <summary><c>{"events":60,"bytes":null,"per":"minute","burst":null}</c></summary>
public sealed record LimitDto(long? Events, string? Per, long? Bytes = null, long? Burst = null);

/// <summary>A plan as the admin API takes and gives it.</summary>
public sealed record PlanDto(
    string? Name,
    string? Description = null,
    string? Action = null,
    List<LimitDto>? Limits = null,
    int? MaxConnections = null,
    long? MaxConnectionDuration = null,
    string? Direction = null);

/// <summary>The per-connection part of an API's throttling.</summary>
public sealed record ConnectionPolicyDto(string? Action = null, List<LimitDto>? Limits = null, long? MaxConnectionDuration = null, string? Direction = null);

/// <summary>An API's <c>"throttling"</c> object in the publisher API.</summary>
public sealed record ApiThrottlingDto(
    string? Action = null,
    List<LimitDto>? Limits = null,
    int? MaxBackendConnections = null,
    ConnectionPolicyDto? PerConnection = null,
    string? Direction = null);

public static class PlanJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Wire(ThrottleAction action) => action.ToString().ToLowerInvariant();
    public static string Wire(LimitPeriod per) => per.ToString().ToLowerInvariant();
    public static string Wire(CountedDirection direction) => direction.ToString().ToLowerInvariant();

    public static LimitDto ToDto(PlanLimit l) => new(l.Events, Wire(l.Per), l.Bytes, l.Burst);

    public static PlanDto ToDto(BusinessPlan plan) => new(
        plan.Name, plan.Description, Wire(plan.Policy.Action), plan.Policy.Limits.Select(ToDto).ToList(),
        plan.Policy.MaxConnections, Seconds(plan.Policy.MaxConnectionDuration), Wire(plan.Policy.Direction));

    public static ApiThrottlingDto ToDto(ApiThrottling t) => new(
        Wire(t.Api.Action), t.Api.Limits.Select(ToDto).ToList(), t.Api.MaxConnections,
        new ConnectionPolicyDto(Wire(t.PerConnection.Action), t.PerConnection.Limits.Select(ToDto).ToList(),
            Seconds(t.PerConnection.MaxConnectionDuration), Wire(t.PerConnection.Direction)),
        Wire(t.Api.Direction));

    public static string Serialize(BusinessPlan plan) => JsonSerializer.Serialize(ToDto(plan), Options);

    public static string Serialize(ApiThrottling throttling) => JsonSerializer.Serialize(ToDto(throttling), Options);

    /// <summary>A stored plan; stored JSON was validated when written, so a bad one means a hand-edited database.</summary>
    public static BusinessPlan DeserializePlan(string json)
    {
        var dto = JsonSerializer.Deserialize<PlanDto>(json, Options) ?? throw new FormatException("empty plan JSON");
        var (plan, errors) = PlanValidator.Validate(dto);
        return plan ?? throw new FormatException($"stored plan '{dto.Name}' is invalid: {Describe(errors)}");
    }

    public static ApiThrottling DeserializeApiThrottling(string json)
    {
        var dto = JsonSerializer.Deserialize<ApiThrottlingDto>(json, Options) ?? throw new FormatException("empty throttling JSON");
        var (throttling, errors) = PlanValidator.ValidateApiThrottling(dto);
        return throttling ?? throw new FormatException($"stored API throttling is invalid: {Describe(errors)}");
    }

    private static long? Seconds(TimeSpan? t) => t is { } v ? (long)v.TotalSeconds : null;

    private static string Describe(Validation.ValidationErrors errors) =>
        string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
}
