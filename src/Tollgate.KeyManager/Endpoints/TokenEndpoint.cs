using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Applications;
using Tollgate.KeyManager.Clients;
using Tollgate.KeyManager.Secrets;
using Tollgate.KeyManager.Tokens;
using Tollgate.KeyManager.Users;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.KeyManager.Endpoints;

/// <summary><c>POST /oauth2/token</c>: password, client_credentials and refresh_token grants (RFC 6749).</summary>
public sealed class TokenEndpoint(
    ClientAuthenticator clients,
    UserAuthenticator users,
    TokenIssuer issuer,
    IDbContextFactory<TollgateDb> dbFactory,
    KeyManagerOptions options)
{
    public async Task<IResult> HandleAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (!http.Request.HasFormContentType)
            return OAuthErrors.Error("invalid_request", "Send the token request as application/x-www-form-urlencoded (RFC 6749).");
        var ct = http.RequestAborted;
        var form = await http.Request.ReadFormAsync(ct);
        var (outcome, client, _) = await clients.AuthenticateAsync(http.Request, form, ct);
        if (outcome == ClientAuthOutcome.Invalid)
            return OAuthErrors.InvalidClient(http);

        return form["grant_type"].ToString() switch
        {
            "password" => await PasswordAsync(http, form, client, ct),
            "client_credentials" => client is null ? OAuthErrors.InvalidClient(http) : ClientCredentials(client),
            "refresh_token" => await RefreshAsync(form, client, ct),
            "" => OAuthErrors.Error("invalid_request", "grant_type is required: use password, client_credentials or refresh_token."),
            var other => OAuthErrors.Error("unsupported_grant_type", $"grant_type '{Trim(other)}' is not supported: use password, client_credentials or refresh_token."),
        };
    }

    private async Task<IResult> PasswordAsync(HttpContext http, IFormCollection form, AuthenticatedClient? client, CancellationToken ct)
    {
        var username = form["username"].ToString();
        var password = form["password"].ToString();
        if (username.Length == 0 || password.Length == 0)
            return OAuthErrors.Error("invalid_request", "username and password are required for grant_type=password.");
        var user = await users.AuthenticateAsync(username, password, http.Connection.RemoteIpAddress, ct);
        if (user is null)
            return OAuthErrors.Error("invalid_grant", "The user name or password is wrong.");
        var roles = user.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries);

        TokenSubject subject;
        if (client is null)
        {
            subject = new TokenSubject(user.Username, KeyManagerOptions.FirstPartyClient, null, null, roles, "openid");
        }
        else
        {
            // A user acting through an application: only the application's owner (or an admin) may.
            if (client.Application.Owner != user.Username && !roles.Contains(Core.Identity.Roles.Admin))
                return OAuthErrors.Error("invalid_grant", "This user does not own the application whose keys were sent.");
            subject = new TokenSubject(user.Username, client.Key.ConsumerKey, client.Application.Id, client.Key.KeyType, [], "default");
        }
        var token = issuer.Issue(subject);
        var refresh = await StoreRefreshTokenAsync(subject, ct);
        return TokenAnswer(token, subject.Scope, refresh);
    }

    private IResult ClientCredentials(AuthenticatedClient client)
    {
        var subject = ApplicationSubject(client.Key, client.Application);
        return TokenAnswer(issuer.Issue(subject), subject.Scope, refreshToken: null);
    }

    public static TokenSubject ApplicationSubject(ApplicationKeyEntity key, ApplicationEntity app) =>
        new(app.Owner, key.ConsumerKey, app.Id, key.KeyType, [], "default");

    private async Task<IResult> RefreshAsync(IFormCollection form, AuthenticatedClient? client, CancellationToken ct)
    {
        var presented = form["refresh_token"].ToString();
        if (presented.Length is 0 or > 200)
            return OAuthErrors.Error("invalid_request", "refresh_token is required for grant_type=refresh_token.");
        var hash = SecretHasher.Hash(presented);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.RefreshTokens.FirstOrDefaultAsync(r => r.TokenHash == hash, ct);
        if (stored is null || stored.UsedAt is not null || stored.ExpiresAt < DateTime.UtcNow)
            return OAuthErrors.Error("invalid_grant", "The refresh token is unknown, expired or already used: sign in again.");
        if (stored.ClientId != KeyManagerOptions.FirstPartyClient && client?.Key.ConsumerKey != stored.ClientId)
            return OAuthErrors.Error("invalid_grant", "This refresh token belongs to another client: authenticate with the application's consumer key and secret.");

        TokenSubject subject;
        if (stored.ApplicationId is { } appId)
        {
            var app = await db.Applications.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
            if (app is null)
                return OAuthErrors.Error("invalid_grant", "The application of this refresh token no longer exists.");
            if (await db.Users.AsNoTracking().AnyAsync(u => u.Username == app.Owner && u.Disabled, ct))
                return OAuthErrors.Error("invalid_grant", "The owner of this application is disabled.");
            subject = new TokenSubject(stored.Username ?? app.Owner, stored.ClientId, appId, stored.KeyType, [], stored.Scope);
        }
        else
        {
            var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == stored.Username, ct);
            if (user is null || user.Disabled)
                return OAuthErrors.Error("invalid_grant", "The user of this refresh token no longer exists or is disabled.");
            subject = new TokenSubject(user.Username, stored.ClientId, null, null, user.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), stored.Scope);
        }
        // Rotation: a refresh token works once (RFC 6819 §5.2.2.3).
        stored.UsedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        var token = issuer.Issue(subject);
        var refresh = await StoreRefreshTokenAsync(subject, ct);
        return TokenAnswer(token, subject.Scope, refresh);
    }

    private async Task<string> StoreRefreshTokenAsync(TokenSubject subject, CancellationToken ct)
    {
        var refresh = SecretHasher.NewSecret();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.RefreshTokens.Add(new RefreshTokenEntity
        {
            TokenHash = SecretHasher.Hash(refresh),
            ClientId = subject.ClientId,
            Username = subject.Subject,
            ApplicationId = subject.ApplicationId,
            KeyType = subject.KeyType,
            Scope = subject.Scope,
            ExpiresAt = DateTime.UtcNow + options.RefreshTokenLifetime,
        });
        await db.SaveChangesAsync(ct);
        return refresh;
    }

    public static IResult TokenAnswer(IssuedToken token, string scope, string? refreshToken) =>
        Results.Json(new TokenResponse(token.AccessToken, "Bearer", token.ExpiresIn, refreshToken, scope),
            KeyManagerJson.Options);

    private static string Trim(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
