using Tollgate.Core.Applications;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>How the client proved who it is.</summary>
public enum CredentialKind { AccessToken, ApiKey, External }

/// <summary>Who is connecting, once the checks passed.</summary>
/// <param name="CredentialId">The consumer key (access tokens), the key's hash (API keys) or empty (authorization URL alone).</param>
/// <param name="TokenId">The access token's jti (also for a ticket: the token it was made from); empty otherwise.</param>
public sealed record ConnectionIdentity(
    Guid ApplicationId,
    string ApplicationName,
    string Subscriber,
    CredentialKind Kind,
    string CredentialId,
    KeyType KeyType,
    string TokenId,
    DateTime TokenIssuedAt,
    DateTime TokenExpiresAt,
    SubscriptionGrant? Subscription);
