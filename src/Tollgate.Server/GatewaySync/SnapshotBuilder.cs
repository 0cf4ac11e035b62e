using Microsoft.EntityFrameworkCore;
using System.Collections.Frozen;
using Tollgate.ControlPlane.Apis;
using Tollgate.Core.Applications;
using Tollgate.Core.Validation;
using Tollgate.Core.Lifecycle;
using Tollgate.Gateway.Snapshot;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store;

namespace Tollgate.Server.GatewaySync;

/// <summary>Reads the store once and produces the gateway's immutable view of it.</summary>
internal sealed class SnapshotBuilder(
    IDbContextFactory<TollgateDb> dbFactory,
    RevocationList revocations,
    SigningKeyStore keys,
    KeyManagerOptions keyManager)
{
    private readonly TokenTrust _trust = new(keyManager.Issuer, KeyManagerOptions.GatewayAudience, keys.PublicKey());

    public async Task<GatewaySnapshot> BuildAsync(long version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var apis = await db.Apis.AsNoTracking().ToListAsync(ct);
        var routes = apis.Select(a =>
        {
            var security = ApiSecurityJson.Read(a.SecurityJson);
            return new ApiRoute(
                a.Id, a.Name, a.Context, a.Version,
                ParseEndpoint(a.ProductionEndpoint), ParseEndpoint(a.SandboxEndpoint),
                Enum.Parse<ApiState>(a.State), a.IsDefaultVersion, security,
                security.AllowedOrigins.Select(ApiSecurityValidator.NormalizeOrigin).ToFrozenSet(StringComparer.Ordinal));
        });

        var subscriptions = await (
            from s in db.Subscriptions.AsNoTracking()
            join app in db.Applications.AsNoTracking() on s.ApplicationId equals app.Id
            select new { s.Id, s.ApiId, s.ApplicationId, app.Name, s.Plan, s.Status }).ToListAsync(ct);
        var grants = subscriptions.Select(s => new SubscriptionGrant(s.Id, s.ApiId, s.ApplicationId, s.Name, s.Plan,
            Enum.TryParse<SubscriptionStatus>(s.Status, out var status) ? status : SubscriptionStatus.Blocked));

        var keyValidity = await db.ApplicationKeys.AsNoTracking()
            .Select(k => new KeyValuePair<string, DateTime>(k.ConsumerKey, k.TokensValidAfter)).ToListAsync(ct);

        var apiKeys = await db.ApiKeys.AsNoTracking().Select(k => new { k.KeyHash, k.Id, k.ApplicationId, k.KeyType }).ToListAsync(ct);

        return GatewaySnapshot.Create(version, routes, grants, revocations.Snapshot(),
            keyValidity.Select(k => KeyValuePair.Create(k.Key, DateTime.SpecifyKind(k.Value, DateTimeKind.Utc))),
            apiKeys.Select(k => KeyValuePair.Create(k.KeyHash, new ApiKeyGrant(k.Id, k.ApplicationId,
                KeyTypes.TryParse(k.KeyType, out var type) ? type : KeyType.Production))),
            _trust);
    }

    private static Uri? ParseEndpoint(string? endpoint) =>
        endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
}
