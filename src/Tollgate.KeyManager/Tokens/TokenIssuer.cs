using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.KeyManager.Signing;

namespace Tollgate.KeyManager.Tokens;

/// <summary>What an access token is about: a user (REST API) or an application (gateway), or both.</summary>
public sealed record TokenSubject(
    string Subject,
    string ClientId,
    Guid? ApplicationId,
    string? KeyType,
    IReadOnlyList<string> Roles,
    string Scope);

public sealed record IssuedToken(string AccessToken, string Jti, DateTime ExpiresAt, int ExpiresIn);

public sealed class TokenIssuer(SigningKeyStore keys, KeyManagerOptions options)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials = new(keys.SigningKey, SecurityAlgorithms.RsaSha256);

    public IssuedToken Issue(TokenSubject subject, TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        var life = lifetime ?? options.AccessTokenLifetime;
        var expires = now + life;
        var jti = Guid.NewGuid().ToString("N");
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = subject.Subject,
            [JwtRegisteredClaimNames.Jti] = jti,
            [TokenClaims.ClientId] = subject.ClientId,
            [TokenClaims.Scope] = subject.Scope,
        };
        if (subject.ApplicationId is { } appId)
        {
            claims[TokenClaims.ApplicationId] = appId.ToString();
            claims[TokenClaims.KeyType] = subject.KeyType ?? "production";
        }
        if (subject.Roles.Count > 0)
            claims[TokenClaims.Role] = subject.Roles.ToArray();

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = subject.ApplicationId is null ? KeyManagerOptions.ApiAudience : KeyManagerOptions.GatewayAudience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = _credentials,
            TokenType = "at+jwt",
        };
        return new IssuedToken(_handler.CreateToken(descriptor), jti, expires, (int)life.TotalSeconds);
    }

    /// <summary>
    /// A single-use connection ticket for browsers: valid for at most <paramref name="lifetime"/>, it stands for
    /// <paramref name="token"/> (same application, revoked with it) so the long-lived token stays out of URLs.
    /// </summary>
    public IssuedToken IssueTicket(InspectedToken token, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        var expires = token.ExpiresAt < now + lifetime ? token.ExpiresAt : now + lifetime;
        var jti = Guid.NewGuid().ToString("N");
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = token.Subject,
            [JwtRegisteredClaimNames.Jti] = jti,
            [TokenClaims.ClientId] = token.ClientId,
            [TokenClaims.ApplicationId] = token.ApplicationId!.Value.ToString(),
            [TokenClaims.KeyType] = token.KeyType ?? "production",
            ["tid"] = token.Jti,
            ["tiat"] = new DateTimeOffset(token.IssuedAt).ToUnixTimeSeconds(),
            ["texp"] = new DateTimeOffset(token.ExpiresAt).ToUnixTimeSeconds(),
        };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = KeyManagerOptions.TicketAudience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = _credentials,
            TokenType = "at+jwt",
        };
        return new IssuedToken(_handler.CreateToken(descriptor), jti, expires, Math.Max(1, (int)(expires - now).TotalSeconds));
    }

    /// <summary>Validation parameters for tokens of one audience, shared by the REST API and the gateway.</summary>
    public static TokenValidationParameters ValidationParameters(string issuer, string audience, SecurityKey key) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        IssuerSigningKey = key,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        ValidTypes = ["at+jwt"],
        // Tollgate signs and checks its own tokens: allow only a second for clocks between nodes.
        ClockSkew = TimeSpan.FromSeconds(1),
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = TokenClaims.Role,
    };
}
