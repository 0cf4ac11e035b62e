using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store;

namespace Tollgate.KeyManager.Endpoints;

/// <summary>
/// <c>POST /oauth2/ticket</c> with <c>Authorization: Bearer &lt;access token&gt;</c>: a connection ticket valid for
/// 30 seconds and one connection (<c>ws://gateway/api?ticket=...</c>), so browsers need not put long-lived
/// tokens in URLs. Callable from any origin: it takes no cookies, only the bearer token.
/// </summary>
public sealed class TicketEndpoint(TokenInspector inspector, RevocationList revocations, TokenIssuer issuer, IDbContextFactory<TollgateDb> dbFactory)
{
    public async Task<IResult> HandleAsync(HttpContext http)
    {
        AllowAnyOrigin(http.Response);
        http.Response.Headers.CacheControl = "no-store";
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Unauthorized(http, "Send the application's access token as 'Authorization: Bearer <token>'.");
        var token = await inspector.InspectAsync(header[7..].Trim(), KeyManagerOptions.GatewayAudience);
        if (token?.ApplicationId is null || revocations.IsRevoked(token.Jti))
            return Unauthorized(http, "The access token is not valid, expired or revoked.");
        await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
        var key = await db.ApplicationKeys.AsNoTracking().FirstOrDefaultAsync(k => k.ConsumerKey == token.ClientId, http.RequestAborted);
        if (key is null || token.IssuedAt < key.TokensValidAfter)
            return Unauthorized(http, "The application's keys were regenerated or removed: get a new token.");
        var ticket = issuer.IssueTicket(token, KeyManagerOptions.TicketLifetime);
        return Results.Json(new { ticket = ticket.AccessToken, expires_in = ticket.ExpiresIn });
    }

    public static IResult Preflight(HttpContext http)
    {
        AllowAnyOrigin(http.Response);
        http.Response.Headers.AccessControlAllowMethods = "POST";
        http.Response.Headers.AccessControlAllowHeaders = "Authorization";
        http.Response.Headers.AccessControlMaxAge = "600";
        return Results.NoContent();
    }

    private static void AllowAnyOrigin(HttpResponse response) => response.Headers.AccessControlAllowOrigin = "*";

    private static IResult Unauthorized(HttpContext http, string description)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"tollgate\", error=\"invalid_token\"";
        return OAuthErrors.Error("invalid_token", description, StatusCodes.Status401Unauthorized);
    }
}
