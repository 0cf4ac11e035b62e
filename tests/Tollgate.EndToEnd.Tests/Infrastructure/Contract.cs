using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

// Shapes of docs/rest-api.md. Only what the tests read is declared; unknown fields are ignored.

public sealed record EndpointConfig(string? Production, string? Sandbox = null);

public sealed record CreateApiRequest(
    string Name,
    string Context,
    string Version,
    EndpointConfig? Endpoint,
    string[]? Plans,
    string? Description = null,
    string[]? Tags = null,
    bool Publish = false);

public sealed record ApiDto(
    string Id,
    string Name,
    string Context,
    string Version,
    EndpointConfig? Endpoint,
    string[]? Plans,
    string State,
    bool IsDefaultVersion,
    string? Provider,
    string? GatewayUrl);

public sealed record ListDto<T>(int Count, T[] Items);

public sealed record LifecycleDto(string State, string[] Actions);

public sealed record PlanDto(string Name, string? Description);

public sealed record ApplicationDto(string Id, string Name, string? Description, string? Owner);

public sealed record KeyDto(string KeyType, string ConsumerKey, string? ConsumerSecret);

public sealed record SubscriptionDto(
    string Id,
    string ApiId,
    string ApplicationId,
    string? ApiName,
    string? ApiVersion,
    string? ApplicationName,
    string Plan,
    string Status);

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("scope")] string? Scope);

public sealed record ProblemDetailsDto(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    Dictionary<string, string[]>? Errors);

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
