using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Applications;
using Tollgate.Core.Lifecycle;
using Tollgate.Gateway.Authorization;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>The outcome of the checks: who connects and where to, or why not.</summary>
internal sealed record HandshakeResult(
    ConnectionIdentity? Identity,
    Uri? Endpoint,
    Refusal? Refusal,
    IReadOnlyList<KeyValuePair<string, string>> BackendHeaders)
{
    public static HandshakeResult Refused(Refusal refusal) => new(null, null, refusal, []);
}

/// <summary>
/// The checks before the upgrade, in order, each with its own answer: API state, origin, credentials
/// (access token, ticket or API key), subscription, endpoint, then the API's authorization URL. Works
/// on one snapshot; the only I/O is the authorization URL, when an API has one.
/// </summary>
internal sealed class HandshakeValidator(AuthorizationUrlClient authorizationUrls, TicketLedger tickets)
{
    private readonly JsonWebTokenHandler _tokens = new() { MapInboundClaims = false };
    private readonly ValidatedTokenCache _validated = new();
    private CachedParameters? _cached;

    public async ValueTask<HandshakeResult> ValidateAsync(GatewaySnapshot snapshot, RouteMatch match, Credentials credentials, HttpRequest request)
    {
        var route = match.Route;
        if (route.State is ApiState.Blocked)
            return Refuse(Refusal.Unavailable($"The API {route.Label} is blocked by its publisher."));
        if (!LifecycleStateMachine.IsServedByGateway(route.State))
            return Refuse(Refusal.NotFound($"No published API at {route.Label}."));
        if (route.AllowedOrigins.Count > 0 && !OriginAllowed(route, request))
            return Refuse(new Refusal(403, "origin_not_allowed", $"Connections to {route.Label} from this origin are not allowed."));

        var security = route.Security;
        ConnectionIdentity? identity = null;
        Uri? endpoint = route.ProductionEndpoint;
        if (security.OAuth2 || security.ApiKeys)
        {
            var (checkedIdentity, refusal) = security.OAuth2 && credentials.HasToken
                ? await CheckTokenAsync(snapshot, credentials)
                : security.ApiKeys && credentials.ApiKey is not null
                    ? CheckApiKey(snapshot, credentials.ApiKey)
                    : (null, Refusal.Unauthorized(MissingCredentialMessage(security.OAuth2, security.ApiKeys)));
            if (refusal is not null)
                return Refuse(refusal);
            (identity, endpoint, refusal) = CheckSubscription(snapshot, route, checkedIdentity!);
            if (refusal is not null)
                return Refuse(refusal);
        }

        IReadOnlyList<KeyValuePair<string, string>> backendHeaders = [];
        if (security.AuthorizationUrl is not null)
        {
            if (identity is null && !credentials.HasAny)
                return Refuse(Refusal.Unauthorized("Credentials are required: send them in the Authorization header, as an apikey, or as ?access_token=."));
            var decision = await authorizationUrls.AuthorizeAsync(route, request, credentials, identity?.ApplicationId, request.HttpContext.RequestAborted);
            if (!decision.Allowed)
                return Refuse(new Refusal(decision.Status, decision.Status == 503 ? "authorization_unavailable" : "authorization_refused",
                    decision.Message, decision.WwwAuthenticate ?? (decision.Status == 401 ? "Bearer realm=\"tollgate\"" : null)));
            backendHeaders = decision.BackendHeaders;
            identity ??= new ConnectionIdentity(Guid.Empty, "(authorization URL)", "external", CredentialKind.External, "",
                KeyType.Production, "", DateTime.UtcNow, DateTime.MaxValue, null);
        }

        if (identity is null || endpoint is null)
            return Refuse(Refusal.Forbidden($"{route.Label} has no {(identity?.KeyType ?? KeyType.Production).ToWire()} endpoint."));
        return new HandshakeResult(identity, endpoint, null, backendHeaders);
    }

    /// <summary>Whether a live connection is still allowed under a newer snapshot (revocation, blocking, unsubscription).</summary>
    public static string? WhyNoLongerAllowed(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity)
    {
        if (!snapshot.RoutesByContextAndVersion.TryGetValue(route.Label, out var current) || current.ApiId != route.ApiId)
            return "API removed";
        if (!LifecycleStateMachine.IsServedByGateway(current.State))
            return $"API {current.State.ToString().ToLowerInvariant()}";
        switch (identity.Kind)
        {
            case CredentialKind.AccessToken:
                if (snapshot.RevokedTokenIds.Contains(identity.TokenId))
                    return "token revoked";
                if (!snapshot.KeyTokensValidAfter.TryGetValue(identity.CredentialId, out var validAfter) || identity.TokenIssuedAt < validAfter)
                    return "application keys regenerated or tokens revoked";
                break;
            case CredentialKind.ApiKey:
                if (!snapshot.ApiKeysByHash.ContainsKey(identity.CredentialId))
                    return "API key revoked";
                break;
            case CredentialKind.External:
                return null;
        }
        if (!snapshot.Subscriptions.TryGetValue((route.ApiId, identity.ApplicationId), out var grant))
            return "subscription removed";
        if (grant.Status != SubscriptionStatus.Active)
            return "subscription blocked";
        return null;
    }

    private async ValueTask<(ConnectionIdentity?, Refusal?)> CheckTokenAsync(GatewaySnapshot snapshot, Credentials credentials)
    {
        if (snapshot.Trust is null)
            return (null, Refusal.Unavailable("The gateway has no configuration yet; try again shortly."));
        var isTicket = credentials.TokenSource == CredentialSource.Ticket;
        if (isTicket || !_validated.TryGet(snapshot.Trust, credentials.TokenText.Span, DateTime.UtcNow, out var claims))
        {
            var token = credentials.Token!;
            var (parsed, refusal) = await ValidateJwtAsync(snapshot.Trust, token, isTicket);
            if (refusal is not null)
                return (null, refusal);
            claims = parsed!;
            if (!isTicket)
                _validated.Add(snapshot.Trust, token, claims);
        }

        if (snapshot.RevokedTokenIds.Contains(claims!.TokenId))
            return (null, Refusal.Unauthorized("The access token has been revoked.", "invalid_token"));
        if (!snapshot.KeyTokensValidAfter.TryGetValue(claims.ConsumerKey, out var validAfter) || claims.IssuedAt < validAfter)
            return (null, Refusal.Unauthorized("The application's keys were regenerated, its tokens revoked, or it was removed: get a new token.", "invalid_token"));
        return (new ConnectionIdentity(claims.ApplicationId, "", claims.Subject, CredentialKind.AccessToken, claims.ConsumerKey, claims.KeyType,
            claims.TokenId, claims.IssuedAt, claims.ExpiresAt, null), null);
    }

    /// <summary>Signature, issuer, audience, type and lifetime; for a ticket, also its single use. The claims of the token it stands for.</summary>
    private async Task<(ValidatedToken?, Refusal?)> ValidateJwtAsync(TokenTrust trust, string token, bool isTicket)
    {
        var result = await _tokens.ValidateTokenAsync(token, ParametersFor(trust, isTicket));
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            var expired = result.Exception is SecurityTokenExpiredException;
            var what = isTicket ? "connection ticket" : "access token";
            return (null, Refusal.Unauthorized(expired ? $"The {what} has expired: get a new one." : $"The {what} is not valid.", "invalid_token"));
        }
        if (!jwt.TryGetPayloadValue<string>("app_id", out var appIdText) || !Guid.TryParse(appIdText, out var appId)
            || !jwt.TryGetPayloadValue<string>("client_id", out var consumerKey))
            return (null, Refusal.Unauthorized("The access token is not an application token: get one with the application's consumer key and secret.", "invalid_token"));

        // A ticket stands for the token it was made from: revoking that token revokes the ticket too.
        var tokenId = jwt.Id;
        var issuedAt = jwt.IssuedAt;
        var expiresAt = jwt.ValidTo;
        if (isTicket)
        {
            switch (await tickets.UseAsync(jwt.Id, jwt.ValidTo))
            {
                case TicketUse.Replayed:
                    return (null, Refusal.Unauthorized("This connection ticket was already used: get a new one.", "invalid_token"));
                case TicketUse.Unverifiable:
                    return (null, Refusal.Unavailable("This gateway cannot check with the control plane that the connection ticket is used only once: " +
                        "try again shortly, or present the access token itself (Authorization header, tollgate.bearer subprotocol or ?access_token=)."));
            }
            tokenId = jwt.TryGetPayloadValue<string>("tid", out var tid) ? tid : "";
            issuedAt = jwt.TryGetPayloadValue<long>("tiat", out var tiat) ? DateTime.UnixEpoch.AddSeconds(tiat) : issuedAt;
            expiresAt = jwt.TryGetPayloadValue<long>("texp", out var texp) ? DateTime.UnixEpoch.AddSeconds(texp) : expiresAt;
        }
        var keyType = jwt.TryGetPayloadValue<string>("key_type", out var kt) && KeyTypes.TryParse(kt, out var parsed) ? parsed : KeyType.Production;
        return (new ValidatedToken(appId, consumerKey, jwt.Subject, tokenId, issuedAt, expiresAt, keyType), null);
    }

    private static (ConnectionIdentity?, Refusal?) CheckApiKey(GatewaySnapshot snapshot, string apiKey)
    {
        if (apiKey.Length > 512)
            return (null, Refusal.Unauthorized("The API key is not valid.", "invalid_token"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
        if (!snapshot.ApiKeysByHash.TryGetValue(hash, out var grant))
            return (null, Refusal.Unauthorized("The API key is not valid or was revoked.", "invalid_token"));
        return (new ConnectionIdentity(grant.ApplicationId, "", "", CredentialKind.ApiKey, hash, grant.KeyType,
            "", DateTime.UtcNow, DateTime.MaxValue, null), null);
    }

    private static (ConnectionIdentity?, Uri?, Refusal?) CheckSubscription(GatewaySnapshot snapshot, ApiRoute route, ConnectionIdentity identity)
    {
        if (!snapshot.Subscriptions.TryGetValue((route.ApiId, identity.ApplicationId), out var grant))
            return (null, null, Refusal.Forbidden($"The application is not subscribed to {route.Label}: subscribe in the Developer Portal."));
        if (grant.Status != SubscriptionStatus.Active)
            return (null, null, Refusal.Forbidden($"The application's subscription to {route.Label} is blocked."));
        var endpoint = identity.KeyType == KeyType.Sandbox ? route.SandboxEndpoint : route.ProductionEndpoint;
        if (endpoint is null)
            return (null, null, Refusal.Forbidden($"{route.Label} has no {identity.KeyType.ToWire()} endpoint: use {(identity.KeyType == KeyType.Sandbox ? "production" : "sandbox")} keys."));
        // An API key names no user: its subscriber is the application's owner.
        var subscriber = identity.Subscriber.Length > 0 ? identity.Subscriber : grant.ApplicationOwner;
        return (identity with { ApplicationName = grant.ApplicationName, Subscriber = subscriber, Subscription = grant }, endpoint, null);
    }

    private static bool OriginAllowed(ApiRoute route, HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && route.AllowedOrigins.Contains(origin.ToLowerInvariant());
    }

    private static string MissingCredentialMessage(bool oauth2, bool apiKeys) => (oauth2, apiKeys) switch
    {
        (true, true) => "An access token or API key is required: send 'Authorization: Bearer <token>', '?access_token=<token>' or an 'apikey' header.",
        (false, true) => "An API key is required: send it as the 'apikey' header or '?apikey=' query parameter.",
        _ => "An access token is required: send 'Authorization: Bearer <token>' or '?access_token=<token>'.",
    };

    private TokenValidationParameters ParametersFor(TokenTrust trust, bool ticket)
    {
        // Rebuilt only when the snapshot's trust changes (key rotation), not per connection;
        // one reference swap keeps the set consistent across threads.
        var cached = Volatile.Read(ref _cached);
        if (cached is null || !ReferenceEquals(cached.Trust, trust))
        {
            cached = new CachedParameters(trust, Parameters(trust, trust.Audience), Parameters(trust, TokenTrust.TicketAudience));
            Volatile.Write(ref _cached, cached);
        }
        return ticket ? cached.Ticket : cached.Token;
    }

    private static TokenValidationParameters Parameters(TokenTrust trust, string audience) => new()
    {
        ValidIssuer = trust.Issuer,
        ValidAudience = audience,
        IssuerSigningKey = trust.SigningKey,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        ValidTypes = ["at+jwt"],
        // Tollgate signs and checks its own tokens: allow only a second for clocks between nodes.
        ClockSkew = TimeSpan.FromSeconds(1),
        RequireExpirationTime = true,
        RequireSignedTokens = true,
    };

    private sealed record CachedParameters(TokenTrust Trust, TokenValidationParameters Token, TokenValidationParameters Ticket);

    private static HandshakeResult Refuse(Refusal refusal) => HandshakeResult.Refused(refusal);
}
