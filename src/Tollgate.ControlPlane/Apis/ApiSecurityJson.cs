using System.Text.Json;
using Tollgate.Core.Apis;

namespace Tollgate.ControlPlane.Apis;

/// <summary>Stores an API's security settings as a JSON document; missing or old documents read as the defaults.</summary>
public static class ApiSecurityJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static ApiSecurity Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return ApiSecurity.Default;
        try
        {
            return Normalize(JsonSerializer.Deserialize<ApiSecurity>(json, Options) ?? ApiSecurity.Default);
        }
        catch (JsonException)
        {
            return ApiSecurity.Default;
        }
    }

    public static string Write(ApiSecurity security) => JsonSerializer.Serialize(Normalize(security), Options);

    /// <summary>Null lists (from JSON <c>null</c>) become empty; origins take the form browsers send; blanks go.</summary>
    public static ApiSecurity Normalize(ApiSecurity s) => s with
    {
        AuthorizationUrl = string.IsNullOrWhiteSpace(s.AuthorizationUrl) ? null : s.AuthorizationUrl.Trim(),
        AllowedOrigins = (s.AllowedOrigins ?? []).Where(o => !string.IsNullOrWhiteSpace(o)).Select(o => o.Trim()).ToArray(),
        AuthorizationResponseHeaders = (s.AuthorizationResponseHeaders ?? []).Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()).ToArray(),
        RemoveRequestHeaders = (s.RemoveRequestHeaders ?? []).Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()).ToArray(),
    };
}
