using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Applications;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>
/// A short-lived JWT describing the caller (application, subscriber, plan, key type, API), sent to the backend as
/// <c>X-Tollgate-Caller</c> for APIs that ask for it, so a backend can trust who connects without seeing the client's
/// token. Signed with Tollgate's key: the backend verifies it with <c>/oauth2/jwks</c>.
/// </summary>
internal sealed class CallerTokens(GatewayOptions options)
{
    public const string HeaderName = "X-Tollgate-Caller";
    public const string Type = "tollgate-caller+jwt";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string? Issue(ApiRoute route, ConnectionIdentity identity)
    {
        if (!route.Security.CallerJwt || options.CallerSigning is null)
            return null;
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = identity.Subscriber,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            ["api"] = route.Label,
            ["api_id"] = route.ApiId.ToString(),
            ["credential"] = identity.Kind.ToString().ToLowerInvariant(),
        };
        if (identity.Kind != CredentialKind.External)
        {
            claims["app_id"] = identity.ApplicationId.ToString();
            claims["app_name"] = identity.ApplicationName;
            claims["key_type"] = identity.KeyType.ToWire();
            if (identity.Subscription is { } grant)
                claims["plan"] = grant.Plan;
        }
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.CallerIssuer,
            Audience = route.Label,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = claims,
            SigningCredentials = options.CallerSigning,
            TokenType = Type,
        });
    }
}
