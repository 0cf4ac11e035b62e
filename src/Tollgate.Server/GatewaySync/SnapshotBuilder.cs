using Microsoft.EntityFrameworkCore;
using System.Collections.Frozen;
using Tollgate.ControlPlane.Apis;
using Tollgate.Core.Applications;
using Tollgate.Core.Validation;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Plans;
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
    KeyManagerOptions keyManager,
    ILogger<SnapshotBuilder> logger)
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
                security.AllowedOrigins.Select(ApiSecurityValidator.NormalizeOrigin).ToFrozenSet(StringComparer.Ordinal),
                ReadThrottling(a.Throttling, a.Name));
        });

        var plans = new List<BusinessPlan>();
        foreach (var p in await db.Plans.AsNoTracking().ToListAsync(ct))
        {
            try
            {
                plans.Add(p.Policy is null ? new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None) : PlanJson.DeserializePlan(p.Policy));
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                // A hand-edited row: the gateway must still serve, so the plan limits nothing and says so.
                logger.LogError("Plan {Plan} cannot be read ({Error}); it limits nothing until fixed", p.Name, e.Message);
                plans.Add(new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None));
            }
        }

        var subscriptions = await (
            from s in db.Subscriptions.AsNoTracking()
            join app in db.Applications.AsNoTracking() on s.ApplicationId equals app.Id
            select new { s.Id, s.ApiId, s.ApplicationId, app.Name, s.Plan, s.Status, app.ThrottlingPolicy, app.Owner }).ToListAsync(ct);
        var grants = subscriptions.Select(s => new SubscriptionGrant(s.Id, s.ApiId, s.ApplicationId, s.Name, s.Plan,
            Enum.TryParse<SubscriptionStatus>(s.Status, out var status) ? status : SubscriptionStatus.Blocked, s.ThrottlingPolicy, s.Owner));

        var keyValidity = await db.ApplicationKeys.AsNoTracking()
            .Select(k => new KeyValuePair<string, DateTime>(k.ConsumerKey, k.TokensValidAfter)).ToListAsync(ct);

        var apiKeys = await db.ApiKeys.AsNoTracking().Select(k => new { k.KeyHash, k.Id, k.ApplicationId, k.KeyType }).ToListAsync(ct);

        return GatewaySnapshot.Create(version, routes, grants, revocations.Snapshot(),
            keyValidity.Select(k => KeyValuePair.Create(k.Key, DateTime.SpecifyKind(k.Value, DateTimeKind.Utc))),
            apiKeys.Select(k => KeyValuePair.Create(k.KeyHash, new ApiKeyGrant(k.Id, k.ApplicationId,
                KeyTypes.TryParse(k.KeyType, out var type) ? type : KeyType.Production))),
            _trust, plans);
    }

    private ApiThrottling? ReadThrottling(string? json, string api)
    {
        if (json is null)
            return null;
        try
        {
            return PlanJson.DeserializeApiThrottling(json) is { IsUnlimited: false } t ? t : null;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            logger.LogError("The throttling of API {Api} cannot be read ({Error}); it is not applied until fixed", api, e.Message);
            return null;
        }
    }

    private static Uri? ParseEndpoint(string? endpoint) =>
        endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
}
