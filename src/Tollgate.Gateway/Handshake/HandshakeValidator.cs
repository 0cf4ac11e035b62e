using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Applications;
using Tollgate.Core.Lifecycle;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>Who is connecting, once the checks passed.</summary>
public sealed record ConnectionIdentity(
    Guid ApplicationId,
    string ApplicationName,
    string Subscriber,
    string ConsumerKey,
    KeyType KeyType,
    string TokenId,
    DateTime TokenIssuedAt,
    DateTime TokenExpiresAt,
    SubscriptionGrant Subscription);

/// <summary>
/// The checks before the upgrade, in order, each with its own answer: route, API state,
/// credentials, token, subscription, endpoint. Works on one snapshot; no I/O.
/// </summary>
public sealed class HandshakeValidator
{
    private readonly JsonWebTokenHandler _tokens = new() { MapInboundClaims = false };
    private CachedParameters? _cached;

    public async Task<(ConnectionIdentity? Identity, Uri? Endpoint, Refusal? Refusal)> ValidateAsync(
        GatewaySnapshot snapshot, RouteMatch match, Credentials credentials)
    {
        var route = match.Route;
        if (route.State is ApiState.Blocked)
            return Refuse(Refusal.Unavailable($"The API {route.Label} is blocked by its publisher."));
        if (!LifecycleStateMachine.IsServedByGateway(route.State))
            return Refuse(Refusal.NotFound($"No published API at {route.Label}."));

        if (credentials.Token is null)
            return Refuse(Refusal.Unauthorized("An access token is required: send 'Authorization: Bearer <token>' or '?access_token=<token>'."));
        if (snapshot.Trust is null)
            return Refuse(Refusal.Unavailable("The gateway has no configuration yet; try again shortly."));

        var result = await _tokens.ValidateTokenAsync(credentials.Token, ParametersFor(snapshot.Trust));
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            var expired = result.Exception is SecurityTokenExpiredException;
            return Refuse(Refusal.Unauthorized(expired ? "The access token has expired: get a new one." : "The access token is not valid.", "invalid_token"));
        }
        if (snapshot.RevokedTokenIds.Contains(jwt.Id))
            return Refuse(Refusal.Unauthorized("The access token has been revoked.", "invalid_token"));
        if (!jwt.TryGetPayloadValue<string>("app_id", out var appIdText) || !Guid.TryParse(appIdText, out var appId)
            || !jwt.TryGetPayloadValue<string>("client_id", out var consumerKey))
            return Refuse(Refusal.Unauthorized("The access token is not an application token: get one with the application's consumer key and secret.", "invalid_token"));
        if (!snapshot.KeyTokensValidAfter.TryGetValue(consumerKey, out var validAfter) || jwt.IssuedAt < validAfter)
            return Refuse(Refusal.Unauthorized("The application's keys were regenerated or removed: get a new token.", "invalid_token"));

        if (!snapshot.Subscriptions.TryGetValue((route.ApiId, appId), out var grant))
            return Refuse(Refusal.Forbidden($"The application is not subscribed to {route.Label}: subscribe in the Developer Portal."));
        if (grant.Status != SubscriptionStatus.Active)
            return Refuse(Refusal.Forbidden($"The application's subscription to {route.Label} is blocked."));

        var keyType = jwt.TryGetPayloadValue<string>("key_type", out var kt) && KeyTypes.TryParse(kt, out var parsed) ? parsed : KeyType.Production;
        var endpoint = keyType == KeyType.Sandbox ? route.SandboxEndpoint : route.ProductionEndpoint;
        if (endpoint is null)
            return Refuse(Refusal.Forbidden($"{route.Label} has no {keyType.ToWire()} endpoint: use {(keyType == KeyType.Sandbox ? "production" : "sandbox")} keys."));

        var identity = new ConnectionIdentity(appId, grant.ApplicationName, jwt.Subject, consumerKey, keyType,
            jwt.Id, jwt.IssuedAt, jwt.ValidTo, grant);
        return (identity, endpoint, null);
    }

    /// <summary>Whether a live connection is still allowed under a newer snapshot (revocation, blocking, unsubscription).</summary>
    public static string? WhyNoLongerAllowed(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity)
    {
        if (!snapshot.RoutesByContextAndVersion.TryGetValue(route.Label, out var current) || current.ApiId != route.ApiId)
            return "API removed";
        if (!LifecycleStateMachine.IsServedByGateway(current.State))
            return $"API {current.State.ToString().ToLowerInvariant()}";
        if (snapshot.RevokedTokenIds.Contains(identity.TokenId))
            return "token revoked";
        if (!snapshot.KeyTokensValidAfter.TryGetValue(identity.ConsumerKey, out var validAfter) || identity.TokenIssuedAt < validAfter)
            return "application keys regenerated";
        if (!snapshot.Subscriptions.TryGetValue((route.ApiId, identity.ApplicationId), out var grant))
            return "subscription removed";
        if (grant.Status != SubscriptionStatus.Active)
            return "subscription blocked";
        return null;
    }

    private TokenValidationParameters ParametersFor(TokenTrust trust)
    {
        // Rebuilt only when the snapshot's trust changes (key rotation), not per connection;
        // one reference swap keeps the pair consistent across threads.
        var cached = Volatile.Read(ref _cached);
        if (cached is not null && ReferenceEquals(cached.Trust, trust))
            return cached.Parameters;
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = trust.Issuer,
            ValidAudience = trust.Audience,
            IssuerSigningKey = trust.SigningKey,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = ["at+jwt"],
            ClockSkew = TimeSpan.FromSeconds(5),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        Volatile.Write(ref _cached, new CachedParameters(trust, parameters));
        return parameters;
    }

    private sealed record CachedParameters(TokenTrust Trust, TokenValidationParameters Parameters);

    private static (ConnectionIdentity?, Uri?, Refusal?) Refuse(Refusal refusal) => (null, null, refusal);
}
