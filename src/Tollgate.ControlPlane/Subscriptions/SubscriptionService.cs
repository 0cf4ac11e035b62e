using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Applications;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Applications;
using Tollgate.Core.Changes;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Validation;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Subscriptions;

/// <summary>Subscribing applications to APIs under a plan; blocking and removing subscriptions. Every change reaches the gateway.</summary>
public sealed class SubscriptionService(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    /// <summary>Subscriptions joined with their API and application, filtered by any of the given keys.</summary>
    public async Task<List<SubscriptionResponse>> ListAsync(Guid? apiId, Guid? applicationId, string? owner, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query =
            from s in db.Subscriptions.AsNoTracking()
            join a in db.Apis.AsNoTracking() on s.ApiId equals a.Id
            join app in db.Applications.AsNoTracking() on s.ApplicationId equals app.Id
            where (apiId == null || s.ApiId == apiId)
               && (applicationId == null || s.ApplicationId == applicationId)
               && (owner == null || app.Owner == owner)
            orderby s.CreatedAt
            select new SubscriptionResponse(s.Id, s.ApiId, s.ApplicationId, a.Name, a.Version, a.Context,
                app.Name, app.Owner, s.Plan, s.Status, s.CreatedAt);
        return await query.ToListAsync(ct);
    }

    public Task<List<SubscriptionResponse>> ListForAsync(Actor actor, Guid? applicationId, CancellationToken ct) =>
        ListAsync(null, applicationId, actor.IsAdmin ? null : actor.UserName, ct);

    public async Task<OpResult<SubscriptionResponse>> SubscribeAsync(Actor actor, SubscriptionRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (request.ApiId is null) errors.Add("apiId", "apiId is required: the id of the API to subscribe to.");
        if (request.ApplicationId is null) errors.Add("applicationId", "applicationId is required: the id of your application.");
        if (string.IsNullOrWhiteSpace(request.Plan)) errors.Add("plan", "plan is required: one of the API's business plans, e.g. Gold.");
        if (!errors.IsEmpty)
            return OpError.Validation(errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var api = await db.Apis.AsNoTracking().FirstOrDefaultAsync(a => a.Id == request.ApiId, ct);
        if (api is null || !LifecycleStateMachine.IsSubscribable(Enum.Parse<ApiState>(api.State)))
            return OpError.Field("apiId", $"There is no published API with id {request.ApiId}.");
        if (await ApplicationService.FindOwnAsync(db, request.ApplicationId!.Value, actor, ct) is not { } app)
            return OpError.Field("applicationId", $"You have no application with id {request.ApplicationId}.");
        var plans = ApiMapping.SplitList(api.Plans);
        var plan = plans.FirstOrDefault(p => p.Equals(request.Plan!.Trim(), StringComparison.OrdinalIgnoreCase));
        if (plan is null)
            return OpError.Field("plan", $"The API {api.Name} {api.Version} does not offer plan '{request.Plan}': choose one of {string.Join(", ", plans)}.");
        if (await db.Subscriptions.AnyAsync(s => s.ApiId == api.Id && s.ApplicationId == app.Id, ct))
            return OpError.Conflict($"The application '{app.Name}' is already subscribed to {api.Name} {api.Version}.", "apiId");

        var subscription = new SubscriptionEntity
        {
            Id = Guid.NewGuid(), ApiId = api.Id, ApplicationId = app.Id, Plan = plan,
            Status = SubscriptionStatus.Active.ToString(), CreatedAt = DateTime.UtcNow,
        };
        db.Subscriptions.Add(subscription);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return new SubscriptionResponse(subscription.Id, api.Id, app.Id, api.Name, api.Version, api.Context,
            app.Name, app.Owner, plan, subscription.Status, subscription.CreatedAt);
    }

    public async Task<OpResult<bool>> UnsubscribeAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null || await ApplicationService.FindOwnAsync(db, subscription.ApplicationId, actor, ct) is null)
            return OpError.NotFound($"You have no subscription with id {id}.");
        db.Subscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return true;
    }

    /// <summary>Moves a subscription to another of the API's plans; live connections take the new limits within a second.</summary>
    public async Task<OpResult<SubscriptionResponse>> ChangePlanAsync(Actor actor, Guid id, string? requestedPlan, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(requestedPlan))
            return OpError.Field("plan", "plan is required: one of the API's business plans, e.g. Silver.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null || await ApplicationService.FindOwnAsync(db, subscription.ApplicationId, actor, ct) is not { } app)
            return OpError.NotFound($"You have no subscription with id {id}.");
        var api = await db.Apis.AsNoTracking().FirstAsync(a => a.Id == subscription.ApiId, ct);
        var plans = ApiMapping.SplitList(api.Plans);
        var plan = plans.FirstOrDefault(p => p.Equals(requestedPlan.Trim(), StringComparison.OrdinalIgnoreCase));
        if (plan is null)
            return OpError.Field("plan", $"The API {api.Name} {api.Version} does not offer plan '{requestedPlan}': choose one of {string.Join(", ", plans)}.");
        subscription.Plan = plan;
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return new SubscriptionResponse(subscription.Id, api.Id, app.Id, api.Name, api.Version, api.Context,
            app.Name, app.Owner, plan, subscription.Status, subscription.CreatedAt);
    }

    /// <summary>The API owner's block/unblock (Publisher): a blocked subscription's connections close and new ones get 403.</summary>
    public async Task<OpResult<SubscriptionResponse>> SetStatusAsync(Guid apiId, Guid id, SubscriptionStatus status, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id && s.ApiId == apiId, ct);
        if (subscription is null)
            return OpError.NotFound($"The API has no subscription with id {id}.");
        subscription.Status = status.ToString();
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return (await ListAsync(apiId, subscription.ApplicationId, null, ct)).Single();
    }
}
