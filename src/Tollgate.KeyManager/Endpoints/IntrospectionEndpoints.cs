using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Tollgate.KeyManager.Clients;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store;

namespace Tollgate.KeyManager.Endpoints;

/// <summary>RFC 7662 introspection and RFC 7009 revocation.</summary>
public sealed class IntrospectionEndpoints(
    ClientAuthenticator clients,
    TokenInspector inspector,
    RevocationList revocations,
    IDbContextFactory<TollgateDb> dbFactory)
{
    public async Task<IResult> IntrospectAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (!http.Request.HasFormContentType)
            return OAuthErrors.Error("invalid_request", "Send the token as form field 'token' (application/x-www-form-urlencoded).");
        var ct = http.RequestAborted;
        var form = await http.Request.ReadFormAsync(ct);
        var caller = await CallerAsync(http, form, ct);
        if (caller.Client is null && !caller.IsAdmin)
            return OAuthErrors.InvalidClient(http);

        var token = await inspector.InspectAnyAsync(form["token"].ToString(), requireLifetime: true);
        if (token is null || revocations.IsRevoked(token.Jti) || !await KeyStillValidAsync(token, ct))
            return Results.Json(new { active = false });
        return Results.Json(new Dictionary<string, object?>
        {
            ["active"] = true,
            ["scope"] = token.Scope,
            ["client_id"] = token.ClientId,
            ["username"] = token.Subject,
            ["sub"] = token.Subject,
            ["token_type"] = "Bearer",
            ["exp"] = new DateTimeOffset(token.ExpiresAt).ToUnixTimeSeconds(),
            ["iat"] = new DateTimeOffset(token.IssuedAt).ToUnixTimeSeconds(),
            ["iss"] = token.Token.Issuer,
            ["aud"] = token.Audience,
            ["jti"] = token.Jti,
            ["app_id"] = token.ApplicationId?.ToString(),
            ["key_type"] = token.KeyType,
        });
    }

    public async Task<IResult> RevokeAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
            return OAuthErrors.Error("invalid_request", "Send the token as form field 'token' (application/x-www-form-urlencoded).");
        var ct = http.RequestAborted;
        var form = await http.Request.ReadFormAsync(ct);
        var caller = await CallerAsync(http, form, ct);
        if (caller.Client is null && caller.User is null)
            return OAuthErrors.InvalidClient(http);
        var presented = form["token"].ToString();
        if (presented.Length == 0)
            return OAuthErrors.Error("invalid_request", "Form field 'token' is required.");

        var token = await inspector.InspectAnyAsync(presented, requireLifetime: false);
        if (token is not null)
        {
            var allowed = caller.IsAdmin
                || (caller.Client is not null && caller.Client.Key.ConsumerKey == token.ClientId)
                || (caller.User is not null && caller.User == token.Subject);
            if (!allowed)
                return OAuthErrors.Error("unauthorized_client", "This token was not issued to you.", StatusCodes.Status403Forbidden);
            await revocations.RevokeAsync(token.Jti, token.ExpiresAt, ct);
            return Results.Ok();
        }

        // Not an access token: maybe a refresh token. RFC 7009 §2.2: unknown tokens still answer 200.
        var hash = Secrets.SecretHasher.Hash(presented);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var refresh = await db.RefreshTokens.FirstOrDefaultAsync(r => r.TokenHash == hash, ct);
        if (refresh is not null && (caller.IsAdmin || caller.User == refresh.Username || caller.Client?.Key.ConsumerKey == refresh.ClientId))
        {
            refresh.UsedAt ??= DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok();
    }

    private sealed record Caller(AuthenticatedClient? Client, string? User, bool IsAdmin);

    /// <summary>Either an application (Basic consumer key/secret) or a signed-in user (bearer token).</summary>
    private async Task<Caller> CallerAsync(HttpContext http, IFormCollection form, CancellationToken ct)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var user = await inspector.InspectAsync(auth[7..].Trim(), KeyManagerOptions.ApiAudience);
            if (user is null || revocations.IsRevoked(user.Jti))
                return new Caller(null, null, false);
            return new Caller(null, user.Subject, user.Roles.Contains(Core.Identity.Roles.Admin));
        }
        var (outcome, client, _) = await clients.AuthenticateAsync(http.Request, form, ct);
        return new Caller(outcome == ClientAuthOutcome.Valid ? client : null, null, false);
    }

    /// <summary>A token dies with its key: regenerating the secret or deleting the application invalidates it.</summary>
    private async Task<bool> KeyStillValidAsync(InspectedToken token, CancellationToken ct)
    {
        if (token.ApplicationId is null)
            return true;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApplicationKeys.AsNoTracking().FirstOrDefaultAsync(k => k.ConsumerKey == token.ClientId, ct);
        return key is not null && token.IssuedAt >= key.TokensValidAfter;
    }
}
