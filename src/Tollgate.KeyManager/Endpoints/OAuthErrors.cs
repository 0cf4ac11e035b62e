using Microsoft.AspNetCore.Http;

namespace Tollgate.KeyManager.Endpoints;

/// <summary>RFC 6749 §5.2 error answers.</summary>
internal static class OAuthErrors
{
    public static IResult Error(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new { error, error_description = description }, statusCode: status);

    public static IResult InvalidClient(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"tollgate\"";
        return Error("invalid_client", "Client authentication failed: send the application's consumer key and secret with HTTP Basic.", StatusCodes.Status401Unauthorized);
    }
}
