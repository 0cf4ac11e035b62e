using System.Text.Json;

namespace Tollgate.Server.Problems;

/// <summary>Reads a JSON body and turns malformed input into a 400 that says what is wrong, instead of a bare 400.</summary>
internal static class JsonBody
{
    private const long MaxBodyBytes = 256 * 1024;

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext http) where T : class
    {
        if (!http.Request.HasJsonContentType())
            return (null, Problem.Field("body", "Send a JSON body with 'Content-Type: application/json'."));
        if (http.Request.ContentLength > MaxBodyBytes)
            return (null, Problem.Field("body", $"The body is too large: keep it under {MaxBodyBytes / 1024} KiB."));
        try
        {
            var options = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, http.RequestAborted);
            return value is null ? (null, Problem.Field("body", "The body is empty: send a JSON object.")) : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, Problem.Field(field, $"The JSON is not valid here ({Describe(e)}): check the value's type and the quotes."));
        }
    }

    private static string Describe(JsonException e) =>
        e.LineNumber is { } line ? $"line {line + 1}, position {e.BytePositionInLine + 1}" : "unreadable JSON";
}
