using System.Security.Claims;
using Tollgate.Core.Lifecycle;
using Tollgate.Server.Auth;
using Tollgate.Server.Hosting;
using Tollgate.Server.Problems;
using Tollgate.Store;
using Microsoft.EntityFrameworkCore;

namespace Tollgate.Server.Publisher;

internal static class PublisherEndpoints
{
    public static void MapPublisherApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/publisher").RequireAuthorization(Policies.PublisherPortal);

        group.MapGet("/apis", async (string? query, ApiCatalog catalog, ServerOptions server, CancellationToken ct) =>
        {
            var items = (await catalog.ListAsync(query, null, ct)).Select(a => a.ToResponse(server)).ToArray();
            return Results.Ok(new { count = items.Length, items });
        });

        group.MapPost("/apis", async (HttpContext http, ApiCatalog catalog, ServerOptions server) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApiRequest>(http);
            if (error is not null)
                return error;
            if (!http.User.IsInRole(Core.Identity.Roles.Creator) && !http.User.IsAdmin())
                return Problem.Forbidden("Creating APIs needs the creator role.");
            if (request!.Publish && !http.User.IsInRole(Core.Identity.Roles.Publisher) && !http.User.IsAdmin())
                return Problem.Forbidden("CREATE & PUBLISH needs the publisher role: use CREATE, then ask a publisher to publish.");
            var outcome = await catalog.CreateAsync(request, http.User.UserName(), http.RequestAborted);
            return outcome.Problem ?? Results.Created($"/api/publisher/apis/{outcome.Value!.Id}", outcome.Value.ToResponse(server));
        });

        group.MapGet("/apis/{id:guid}", async (Guid id, ApiCatalog catalog, ServerOptions server, CancellationToken ct) =>
            await catalog.FindAsync(id, ct) is { } api ? Results.Ok(api.ToResponse(server)) : Problem.NotFound($"There is no API with id {id}."));

        group.MapPut("/apis/{id:guid}", async (Guid id, HttpContext http, ApiCatalog catalog, ServerOptions server) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApiRequest>(http);
            if (error is not null)
                return error;
            var outcome = await catalog.UpdateAsync(id, request!, http.RequestAborted);
            return outcome.Problem ?? Results.Ok(outcome.Value!.ToResponse(server));
        }).RequireAuthorization(Policies.Creator);

        group.MapDelete("/apis/{id:guid}", async (Guid id, ApiCatalog catalog, CancellationToken ct) =>
            (await catalog.DeleteAsync(id, ct)).Problem ?? Results.NoContent()).RequireAuthorization(Policies.Creator);

        group.MapGet("/apis/{id:guid}/lifecycle", async (Guid id, ApiCatalog catalog, CancellationToken ct) =>
        {
            if (await catalog.FindAsync(id, ct) is not { } api)
                return Problem.NotFound($"There is no API with id {id}.");
            var state = Enum.Parse<ApiState>(api.State);
            return Results.Ok(new LifecycleResponse(api.State, LifecycleStateMachine.AllowedActions(state).Select(a => a.ToString()).ToArray()));
        });

        group.MapPost("/apis/{id:guid}/lifecycle", async (Guid id, HttpContext http, ApiCatalog catalog, ServerOptions server) =>
        {
            var (request, error) = await JsonBody.ReadAsync<LifecycleRequest>(http);
            if (error is not null)
                return error;
            var outcome = await catalog.ChangeLifecycleAsync(id, request!.Action, http.RequestAborted);
            return outcome.Problem ?? Results.Ok(outcome.Value!.ToResponse(server));
        }).RequireAuthorization(Policies.Publisher);

        group.MapGet("/apis/{id:guid}/subscriptions", async (Guid id, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (!await db.Apis.AnyAsync(a => a.Id == id, ct))
                return Problem.NotFound($"There is no API with id {id}.");
            var items = await DevPortal.SubscriptionQueries.ListAsync(db, apiId: id, applicationId: null, owner: null, ct);
            return Results.Ok(new { count = items.Count, items });
        });

        app.MapGet("/api/publisher/plans", async (IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            var items = (await Admin.PlanEndpoints.LoadAsync(dbFactory, ct)).Select(Admin.PlanResponse.From).ToArray();
            return Results.Ok(new { count = items.Length, items });
        }).RequireAuthorization(Policies.SignedIn);
    }
}
