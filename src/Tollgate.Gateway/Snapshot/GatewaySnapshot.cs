using System.Collections.Frozen;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Apis;
using Tollgate.Core.Applications;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Plans;

namespace Tollgate.Gateway.Snapshot;

/// <summary>A deployed API as the gateway sees it.</summary>
public sealed record ApiRoute(
    Guid ApiId,
    string Name,
    string Context,
    string Version,
    Uri? ProductionEndpoint,
    Uri? SandboxEndpoint,
    ApiState State,
    bool IsDefaultVersion,
    ApiSecurity Security,
    FrozenSet<string> AllowedOrigins,
    ApiThrottling? Throttling = null)
{
    public string Label => $"{Context}/{Version}";
}

/// <summary>An API key, known by its hash: which application and key type it stands for.</summary>
public sealed record ApiKeyGrant(Guid KeyId, Guid ApplicationId, KeyType KeyType);

/// <summary>An application's right to use an API under a plan.</summary>
/// <param name="ApplicationPolicy">The plan whose limits apply to all of the application's subscriptions together; null for none.</param>
public sealed record SubscriptionGrant(Guid SubscriptionId, Guid ApiId, Guid ApplicationId, string ApplicationName, string Plan, SubscriptionStatus Status,
    string? ApplicationPolicy = null, string ApplicationOwner = "");

/// <summary>How the gateway validates access tokens and connection tickets locally, without calling the key manager.</summary>
public sealed record TokenTrust(string Issuer, string Audience, SecurityKey SigningKey)
{
    public const string TicketAudience = "tollgate-ticket";
}

/// <summary>
/// Everything the gateway needs to decide on a connection, immutable and swapped atomically
/// as a whole when the control plane publishes a change (the YARP config-snapshot model).
/// </summary>
public sealed record GatewaySnapshot(
    long Version,
    FrozenDictionary<string, ApiRoute> RoutesByContextAndVersion,
    FrozenDictionary<string, ApiRoute> DefaultRoutesByContext,
    FrozenDictionary<(Guid ApiId, Guid ApplicationId), SubscriptionGrant> Subscriptions,
    FrozenSet<string> RevokedTokenIds,
    FrozenDictionary<string, DateTime> KeyTokensValidAfter,
    FrozenDictionary<string, ApiKeyGrant> ApiKeysByHash,
    TokenTrust? Trust)
{
    /// <summary>Business plans by name (case-insensitive): what throttling enforces for subscriptions and application policies.</summary>
    public FrozenDictionary<string, BusinessPlan> Plans { get; init; } = FrozenDictionary<string, BusinessPlan>.Empty;

    public static readonly GatewaySnapshot Empty = new(0,
        FrozenDictionary<string, ApiRoute>.Empty,
        FrozenDictionary<string, ApiRoute>.Empty,
        FrozenDictionary<(Guid, Guid), SubscriptionGrant>.Empty,
        FrozenSet<string>.Empty,
        FrozenDictionary<string, DateTime>.Empty,
        FrozenDictionary<string, ApiKeyGrant>.Empty,
        null);

    /// <summary>Builds the lookup tables from flat lists; used by the control plane's snapshot builder.</summary>
    public static GatewaySnapshot Create(
        long version,
        IEnumerable<ApiRoute> routes,
        IEnumerable<SubscriptionGrant> subscriptions,
        IEnumerable<string> revokedTokenIds,
        IEnumerable<KeyValuePair<string, DateTime>> keyValidity,
        IEnumerable<KeyValuePair<string, ApiKeyGrant>> apiKeys,
        TokenTrust trust,
        IEnumerable<BusinessPlan>? plans = null)
    {
        var all = routes.ToArray();
        var planTable = (plans ?? []).ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return new GatewaySnapshot(
            version,
            all.ToFrozenDictionary(r => $"{r.Context}/{r.Version}", StringComparer.Ordinal),
            all.Where(r => r.IsDefaultVersion).GroupBy(r => r.Context, StringComparer.Ordinal)
               .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal),
            subscriptions.ToFrozenDictionary(s => (s.ApiId, s.ApplicationId)),
            revokedTokenIds.ToFrozenSet(StringComparer.Ordinal),
            keyValidity.ToFrozenDictionary(StringComparer.Ordinal),
            apiKeys.ToFrozenDictionary(StringComparer.Ordinal),
            trust)
        {
            Plans = planTable,
        };
    }
}
