using Tollgate.Core.Apis;
using Tollgate.Core.Plans;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Apis;

public sealed record EndpointDto(string? Production, string? Sandbox);

/// <summary>Body of <c>POST/PUT /api/publisher/apis</c>, and what the Publisher's forms submit.</summary>
public sealed record ApiRequest(
    string? Name,
    string? Context,
    string? Version,
    EndpointDto? Endpoint,
    List<string>? Plans,
    string? Description,
    List<string>? Tags,
    bool? IsDefaultVersion,
    bool Publish = false,
    ApiSecurity? Security = null,
    ApiThrottlingDto? Throttling = null)
{
    public ApiDraft ToDraft() => new(Name, Context, Version, Endpoint?.Production, Endpoint?.Sandbox, Plans, Description, Tags);
}

public sealed record ApiResponse(
    Guid Id,
    string Name,
    string Context,
    string Version,
    EndpointDto Endpoint,
    string[] Plans,
    string Description,
    string[] Tags,
    string State,
    bool IsDefaultVersion,
    string Provider,
    string GatewayUrl,
    ApiSecurity Security,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    ApiThrottlingDto? Throttling);

public sealed record LifecycleRequest(string? Action);

public sealed record LifecycleResponse(string State, string[] Actions);

public static class ApiMapping
{
    public static string[] SplitList(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string JoinList(IEnumerable<string>? items) => string.Join(',', (items ?? []).Select(i => i.Trim()));

    public static ApiResponse ToResponse(this ApiEntity api, GatewayUrls urls) => new(
        api.Id, api.Name, api.Context, api.Version,
        new EndpointDto(api.ProductionEndpoint, api.SandboxEndpoint),
        SplitList(api.Plans), api.Description, SplitList(api.Tags), api.State, api.IsDefaultVersion,
        api.Provider, urls.For(api.Context, api.Version), ApiSecurityJson.Read(api.SecurityJson), api.CreatedAt, api.UpdatedAt, ReadThrottling(api.Throttling));

    private static ApiThrottlingDto? ReadThrottling(string? json)
    {
        if (json is null)
            return null;
        try
        {
            return PlanJson.ToDto(PlanJson.DeserializeApiThrottling(json));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
