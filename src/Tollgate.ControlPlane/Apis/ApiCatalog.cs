using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Changes;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Plans;
using Tollgate.Core.Validation;
using Tollgate.ControlPlane.Results;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Apis;

/// <summary>Creating, changing and moving WebSocket APIs through their lifecycle. Every change notifies the gateway.</summary>
public sealed class ApiCatalog(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    public async Task<IReadOnlyList<string>> PlanNamesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Plans.AsNoTracking().OrderBy(p => p.Name).Select(p => p.Name).ToListAsync(ct);
    }

    public async Task<List<ApiEntity>> ListAsync(string? query, Func<ApiEntity, bool>? filter, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Apis.AsNoTracking().OrderBy(a => a.Name).ThenBy(a => a.Version).ToListAsync(ct);
        return all.Where(a => filter?.Invoke(a) ?? true).Where(a => Matches(a, query)).ToList();
    }

    public async Task<ApiEntity?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Apis.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
    }

    public async Task<OpResult<ApiEntity>> CreateAsync(ApiRequest request, string provider, CancellationToken ct)
    {
        var plans = await PlanNamesAsync(ct);
        var errors = ApiValidator.Validate(request.ToDraft(), plans);
        if (request.Security is not null)
            Merge(errors, ApiSecurityValidator.Validate(ApiSecurityJson.Normalize(request.Security)));
        Merge(errors, PlanValidator.ValidateApiThrottling(request.Throttling, "throttling.").Errors);
        if (request.Publish)
            Merge(errors, ApiValidator.ValidateForPublish(request.Endpoint?.Production, request.Plans));
        if (!errors.IsEmpty)
            return (OpError.Validation(errors));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var context = ApiValidator.NormalizeContext(request.Context)!;
        var version = request.Version!.Trim();
        if (await UniquenessProblemAsync(db, null, request.Name!.Trim(), context, version, ct) is { } clash)
            return clash;

        var now = DateTime.UtcNow;
        var hasDefault = await db.Apis.AnyAsync(a => a.Context == context && a.IsDefaultVersion, ct);
        var api = new ApiEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!.Trim(),
            Context = context,
            Version = version,
            CreatedAt = now,
            Provider = provider,
            State = (request.Publish ? ApiState.Published : ApiState.Created).ToString(),
            IsDefaultVersion = request.IsDefaultVersion ?? !hasDefault,
        };
        Apply(api, request, plans, now);
        if (api.IsDefaultVersion)
            await ClearDefaultAsync(db, context, api.Id, ct);
        db.Apis.Add(api);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return api;
    }

    public async Task<OpResult<ApiEntity>> UpdateAsync(Guid id, ApiRequest request, CancellationToken ct)
    {
        var plans = await PlanNamesAsync(ct);
        var errors = ApiValidator.Validate(request.ToDraft(), plans);
        if (request.Security is not null)
            Merge(errors, ApiSecurityValidator.Validate(ApiSecurityJson.Normalize(request.Security)));
        Merge(errors, PlanValidator.ValidateApiThrottling(request.Throttling, "throttling.").Errors);
        if (!errors.IsEmpty)
            return (OpError.Validation(errors));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var api = await db.Apis.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (api is null)
            return (OpError.NotFound($"There is no API with id {id}."));
        var context = ApiValidator.NormalizeContext(request.Context)!;
        var version = request.Version!.Trim();
        var state = Enum.Parse<ApiState>(api.State);
        if (state != ApiState.Created && (context != api.Context || version != api.Version))
            return (OpError.Conflict(
                $"Context and version cannot change once the API left the Created state (it is {state}): create a new version instead.",
                context != api.Context ? "context" : "version"));
        if (LifecycleStateMachine.IsServedByGateway(state))
        {
            var publishErrors = ApiValidator.ValidateForPublish(request.Endpoint?.Production, request.Plans);
            if (!publishErrors.IsEmpty)
                return (OpError.Validation(publishErrors, "A published API needs a production endpoint and at least one plan."));
        }
        if (await UniquenessProblemAsync(db, id, request.Name!.Trim(), context, version, ct) is { } clash)
            return clash;

        api.Name = request.Name!.Trim();
        api.Context = context;
        api.Version = version;
        Apply(api, request, plans, DateTime.UtcNow);
        if (request.IsDefaultVersion == true && !api.IsDefaultVersion)
        {
            api.IsDefaultVersion = true;
            await ClearDefaultAsync(db, context, api.Id, ct);
        }
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return api;
    }

    public async Task<OpResult<ApiEntity>> ChangeLifecycleAsync(Guid id, string? actionName, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var api = await db.Apis.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (api is null)
            return (OpError.NotFound($"There is no API with id {id}."));
        var state = Enum.Parse<ApiState>(api.State);
        var allowed = LifecycleStateMachine.AllowedActions(state);
        if (!Enum.TryParse<LifecycleAction>(actionName?.Replace(" ", "").Replace("-", ""), ignoreCase: true, out var action) || !Enum.IsDefined(action))
            return (OpError.Field("action",
                $"'{actionName}' is not a lifecycle action. From {state} you can: {Describe(allowed)}."));
        if (!LifecycleStateMachine.TryApply(state, action, out var next))
            return (OpError.Conflict(
                $"{action} is not allowed while the API is {state}. From {state} you can: {Describe(allowed)}.", "action"));
        if (next == ApiState.Published)
        {
            var errors = ApiValidator.ValidateForPublish(api.ProductionEndpoint, ApiMapping.SplitList(api.Plans));
            if (!errors.IsEmpty)
                return (OpError.Validation(errors, "Publishing needs a production endpoint and at least one business plan."));
        }
        api.State = next.ToString();
        api.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return api;
    }

    public async Task<OpResult<bool>> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var api = await db.Apis.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (api is null)
            return (OpError.NotFound($"There is no API with id {id}."));
        var subscriptions = await db.Subscriptions.CountAsync(s => s.ApiId == id, ct);
        if (subscriptions > 0)
            return (OpError.Conflict(
                $"The API has {subscriptions} subscription(s): they must be removed (or the API retired) before it can be deleted."));
        db.Apis.Remove(api);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return true;
    }

    private static void Apply(ApiEntity api, ApiRequest request, IReadOnlyList<string> knownPlans, DateTime now)
    {
        api.ProductionEndpoint = Blank(request.Endpoint?.Production);
        api.SandboxEndpoint = Blank(request.Endpoint?.Sandbox);
        // Plans are stored under their canonical names so "gold" and "Gold" are the same plan.
        api.Plans = ApiMapping.JoinList((request.Plans ?? []).Select(p => knownPlans.First(k => k.Equals(p.Trim(), StringComparison.OrdinalIgnoreCase))));
        api.Description = request.Description?.Trim() ?? "";
        api.Tags = ApiMapping.JoinList(request.Tags?.Select(t => t.Replace(",", " ")));
        // Security settings stay as they are when a request leaves them out.
        if (request.Security is not null)
            api.SecurityJson = ApiSecurityJson.Write(request.Security);
        // Left out keeps the API's policy (clients that predate it must not wipe it); {} removes it.
        if (request.Throttling is not null)
        {
            var throttling = PlanValidator.ValidateApiThrottling(request.Throttling).Throttling!;
            api.Throttling = throttling.IsUnlimited ? null : PlanJson.Serialize(throttling);
        }
        api.UpdatedAt = now;
    }

    private static async Task<OpError?> UniquenessProblemAsync(TollgateDb db, Guid? self, string name, string context, string version, CancellationToken ct)
    {
        var others = await db.Apis.AsNoTracking().Where(a => a.Id != self && (a.Context == context || a.Name == name)).ToListAsync(ct);
        if (others.Any(a => a.Context == context && a.Version == version))
            return OpError.Conflict($"An API already uses context {context} with version {version}: choose another version or context.", "context");
        if (others.Any(a => a.Name == name && a.Version == version))
            return OpError.Conflict($"An API named '{name}' already has version {version}: choose another version.", "name");
        if (others.FirstOrDefault(a => a.Context == context && a.Name != name) is { } owner)
            return OpError.Conflict($"Context {context} belongs to the API '{owner.Name}': use that name for a new version, or another context.", "context");
        return null;
    }

    private static async Task ClearDefaultAsync(TollgateDb db, string context, Guid keep, CancellationToken ct)
    {
        foreach (var other in await db.Apis.Where(a => a.Context == context && a.Id != keep && a.IsDefaultVersion).ToListAsync(ct))
            other.IsDefaultVersion = false;
    }

    private static bool Matches(ApiEntity api, string? query) =>
        string.IsNullOrWhiteSpace(query)
        || api.Name.Contains(query, StringComparison.OrdinalIgnoreCase)
        || api.Context.Contains(query, StringComparison.OrdinalIgnoreCase)
        || api.Tags.Contains(query, StringComparison.OrdinalIgnoreCase)
        || api.Description.Contains(query, StringComparison.OrdinalIgnoreCase);

    private static void Merge(ValidationErrors into, ValidationErrors from)
    {
        foreach (var (field, messages) in from.ToDictionary())
            foreach (var m in messages.Where(_ => !into.Has(field)))
                into.Add(field, m);
    }

    private static string Describe(IReadOnlyList<LifecycleAction> actions) =>
        actions.Count == 0 ? "nothing (this is a final state)" : string.Join(", ", actions);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
