using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Subscriptions;
using Tollgate.Core.Applications;
using Tollgate.Core.Identity;
using Tollgate.Core.Lifecycle;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Store;

namespace Tollgate.Server.Publisher;

internal static class PublisherEndpoints
{
    public static void MapPublisherApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/publisher").RequireAuthorization(Policies.PublisherPortal);

        group.MapGet("/apis", async (string? query, ApiCatalog catalog, GatewayUrls urls, CancellationToken ct) =>
        {
            var items = (await catalog.ListAsync(query, null, ct)).Select(a => a.ToResponse(urls)).ToArray();
            return Results.Ok(new { count = items.Length, items });
        });

        group.MapPost("/apis", async (HttpContext http, ApiCatalog catalog, GatewayUrls urls) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApiRequest>(http);
            if (error is not null)
                return error;
            if (!http.User.IsInRole(Roles.Creator) && !http.User.IsAdmin())
                return Problem.Forbidden("Creating APIs needs the creator role.");
            if (request!.Publish && !http.User.IsInRole(Roles.Publisher) && !http.User.IsAdmin())
                return Problem.Forbidden("CREATE & PUBLISH needs the publisher role: use CREATE, then ask a publisher to publish.");
            return (await catalog.CreateAsync(request, http.User.UserName(), http.RequestAborted))
                .Or(api => Results.Created($"/api/publisher/apis/{api.Id}", api.ToResponse(urls)));
        });

        group.MapGet("/apis/{id:guid}", async (Guid id, ApiCatalog catalog, GatewayUrls urls, CancellationToken ct) =>
            await catalog.FindAsync(id, ct) is { } api ? Results.Ok(api.ToResponse(urls)) : Problem.NotFound($"There is no API with id {id}."));

        group.MapPut("/apis/{id:guid}", async (Guid id, HttpContext http, ApiCatalog catalog, GatewayUrls urls) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApiRequest>(http);
            if (error is not null)
                return error;
            return (await catalog.UpdateAsync(id, request!, http.RequestAborted)).Or(api => Results.Ok(api.ToResponse(urls)));
        }).RequireAuthorization(Policies.Creator);

        group.MapDelete("/apis/{id:guid}", async (Guid id, ApiCatalog catalog, CancellationToken ct) =>
            (await catalog.DeleteAsync(id, ct)).Or(_ => Results.NoContent())).RequireAuthorization(Policies.Creator);

        group.MapGet("/apis/{id:guid}/lifecycle", async (Guid id, ApiCatalog catalog, CancellationToken ct) =>
        {
            if (await catalog.FindAsync(id, ct) is not { } api)
                return Problem.NotFound($"There is no API with id {id}.");
            var state = Enum.Parse<ApiState>(api.State);
            return Results.Ok(new LifecycleResponse(api.State, LifecycleStateMachine.AllowedActions(state).Select(a => a.ToString()).ToArray()));
        });

        group.MapPost("/apis/{id:guid}/lifecycle", async (Guid id, HttpContext http, ApiCatalog catalog, GatewayUrls urls) =>
        {
            var (request, error) = await JsonBody.ReadAsync<LifecycleRequest>(http);
            if (error is not null)
                return error;
            return (await catalog.ChangeLifecycleAsync(id, request!.Action, http.RequestAborted)).Or(api => Results.Ok(api.ToResponse(urls)));
        }).RequireAuthorization(Policies.Publisher);

        group.MapGet("/apis/{id:guid}/subscriptions", async (Guid id, ApiCatalog catalog, SubscriptionService subscriptions, CancellationToken ct) =>
        {
            if (await catalog.FindAsync(id, ct) is null)
                return Problem.NotFound($"There is no API with id {id}.");
            var items = await subscriptions.ListAsync(id, null, null, ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/apis/{id:guid}/subscriptions/{subscriptionId:guid}/block", async (Guid id, Guid subscriptionId, SubscriptionService subscriptions, CancellationToken ct) =>
            (await subscriptions.SetStatusAsync(id, subscriptionId, SubscriptionStatus.Blocked, ct)).Or()).RequireAuthorization(Policies.Publisher);

        group.MapPost("/apis/{id:guid}/subscriptions/{subscriptionId:guid}/unblock", async (Guid id, Guid subscriptionId, SubscriptionService subscriptions, CancellationToken ct) =>
            (await subscriptions.SetStatusAsync(id, subscriptionId, SubscriptionStatus.Active, ct)).Or()).RequireAuthorization(Policies.Publisher);

        app.MapGet("/api/publisher/plans", async (Tollgate.ControlPlane.Plans.PlanService plans, CancellationToken ct) =>
        {
            var items = (await plans.ListAsync(ct)).Select(Admin.PlanResponse.From).ToArray();
            return Results.Ok(new { count = items.Length, items });
        }).RequireAuthorization(Policies.SignedIn);
    }
}
