using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Applications;
using Tollgate.Core.Changes;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Validation;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Server.Publisher;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.DevPortal;

internal static class SubscriptionEndpoints
{
    public static void MapSubscriptionApi(this RouteGroupBuilder group)
    {
        group.MapGet("/subscriptions", async (Guid? applicationId, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var items = await SubscriptionQueries.ListAsync(db, null, applicationId, user.IsAdmin() ? null : user.UserName(), ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/subscriptions", async (HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SubscriptionRequest>(http);
            if (error is not null)
                return error;
            var errors = new ValidationErrors();
            if (request!.ApiId is null) errors.Add("apiId", "apiId is required: the id of the API to subscribe to.");
            if (request.ApplicationId is null) errors.Add("applicationId", "applicationId is required: the id of your application.");
            if (string.IsNullOrWhiteSpace(request.Plan)) errors.Add("plan", "plan is required: one of the API's business plans, e.g. Gold.");
            if (!errors.IsEmpty)
                return Problem.Validation(errors);

            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var api = await db.Apis.AsNoTracking().FirstOrDefaultAsync(a => a.Id == request.ApiId, ct);
            if (api is null || !LifecycleStateMachine.IsSubscribable(Enum.Parse<ApiState>(api.State)))
                return Problem.Field("apiId", $"There is no published API with id {request.ApiId}.");
            if (await ApplicationEndpoints.FindOwnAsync(db, request.ApplicationId!.Value, http.User, ct) is not { } app)
                return Problem.Field("applicationId", $"You have no application with id {request.ApplicationId}.");
            var plans = ApiMapping.SplitList(api.Plans);
            var plan = plans.FirstOrDefault(p => p.Equals(request.Plan!.Trim(), StringComparison.OrdinalIgnoreCase));
            if (plan is null)
                return Problem.Field("plan", $"The API {api.Name} {api.Version} does not offer plan '{request.Plan}': choose one of {string.Join(", ", plans)}.");
            if (await db.Subscriptions.AnyAsync(s => s.ApiId == api.Id && s.ApplicationId == app.Id, ct))
                return Problem.Conflict($"The application '{app.Name}' is already subscribed to {api.Name} {api.Version}.", "apiId");

            var subscription = new SubscriptionEntity
            {
                Id = Guid.NewGuid(), ApiId = api.Id, ApplicationId = app.Id, Plan = plan,
                Status = SubscriptionStatus.Active.ToString(), CreatedAt = DateTime.UtcNow,
            };
            db.Subscriptions.Add(subscription);
            await db.SaveChangesAsync(ct);
            changes.Notify();
            var response = new SubscriptionResponse(subscription.Id, api.Id, app.Id, api.Name, api.Version, api.Context,
                app.Name, app.Owner, plan, subscription.Status, subscription.CreatedAt);
            return Results.Created($"/api/devportal/subscriptions/{subscription.Id}", response);
        });

        // Moving to another of the API's plans: live connections take the new limits within a second.
        group.MapPut("/subscriptions/{id:guid}", async (Guid id, HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SubscriptionUpdateRequest>(http);
            if (error is not null)
                return error;
            if (string.IsNullOrWhiteSpace(request!.Plan))
                return Problem.Field("plan", "plan is required: one of the API's business plans, e.g. Silver.");
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
            if (subscription is null || await ApplicationEndpoints.FindOwnAsync(db, subscription.ApplicationId, http.User, ct) is not { } app)
                return Problem.NotFound($"You have no subscription with id {id}.");
            var api = await db.Apis.AsNoTracking().FirstAsync(a => a.Id == subscription.ApiId, ct);
            var plans = ApiMapping.SplitList(api.Plans);
            var plan = plans.FirstOrDefault(p => p.Equals(request.Plan.Trim(), StringComparison.OrdinalIgnoreCase));
            if (plan is null)
                return Problem.Field("plan", $"The API {api.Name} {api.Version} does not offer plan '{request.Plan}': choose one of {string.Join(", ", plans)}.");
            subscription.Plan = plan;
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.Ok(new SubscriptionResponse(subscription.Id, api.Id, app.Id, api.Name, api.Version, api.Context,
                app.Name, app.Owner, plan, subscription.Status, subscription.CreatedAt));
        });

        group.MapDelete("/subscriptions/{id:guid}", async (Guid id, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
            if (subscription is null || await ApplicationEndpoints.FindOwnAsync(db, subscription.ApplicationId, user, ct) is null)
                return Problem.NotFound($"You have no subscription with id {id}.");
            db.Subscriptions.Remove(subscription);
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.NoContent();
        });
    }
}
