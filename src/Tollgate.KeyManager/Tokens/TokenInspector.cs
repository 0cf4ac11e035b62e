using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.KeyManager.Signing;

namespace Tollgate.KeyManager.Tokens;

/// <summary>A validated access token's facts, for introspection, revocation and the REST API.</summary>
public sealed record InspectedToken(JsonWebToken Token, string Jti, string Subject, string ClientId, string Audience, DateTime ExpiresAt, DateTime IssuedAt)
{
    public Guid? ApplicationId => Token.TryGetPayloadValue<string>(TokenClaims.ApplicationId, out var v) && Guid.TryParse(v, out var g) ? g : null;
    public string? KeyType => Token.TryGetPayloadValue<string>(TokenClaims.KeyType, out var v) ? v : null;
    public string Scope => Token.TryGetPayloadValue<string>(TokenClaims.Scope, out var v) ? v : "";
    public IReadOnlyList<string> Roles => Token.Claims.Where(c => c.Type == TokenClaims.Role).Select(c => c.Value).ToArray();
}

/// <summary>Checks signature, issuer and audience of tokens this key manager issued.</summary>
public sealed class TokenInspector(SigningKeyStore keys, KeyManagerOptions options)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>Validates a token for one audience; with <paramref name="requireLifetime"/> false an expired token still inspects.</summary>
    public async Task<InspectedToken?> InspectAsync(string token, string audience, bool requireLifetime = true)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 8192)
            return null;
        var parameters = TokenIssuer.ValidationParameters(options.Issuer, audience, keys.SigningKey);
        parameters.ValidateLifetime = requireLifetime;
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
            return null;
        return new InspectedToken(jwt, jwt.Id, jwt.Subject,
            jwt.TryGetPayloadValue<string>(TokenClaims.ClientId, out var c) ? c : "",
            audience, jwt.ValidTo, jwt.IssuedAt);
    }

    /// <summary>Tries both audiences: introspection and revocation accept any Tollgate token.</summary>
    public async Task<InspectedToken?> InspectAnyAsync(string token, bool requireLifetime) =>
        await InspectAsync(token, KeyManagerOptions.GatewayAudience, requireLifetime)
        ?? await InspectAsync(token, KeyManagerOptions.ApiAudience, requireLifetime);
}
