using System.Security.Claims;
using Tollgate.ControlPlane.Subscriptions;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;

namespace Tollgate.Server.DevPortal;

internal static class SubscriptionEndpoints
{
    public static void MapSubscriptionApi(this RouteGroupBuilder group)
    {
        group.MapGet("/subscriptions", async (Guid? applicationId, ClaimsPrincipal user, SubscriptionService subscriptions, CancellationToken ct) =>
        {
            var items = await subscriptions.ListForAsync(user.ToActor(), applicationId, ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/subscriptions", async (HttpContext http, SubscriptionService subscriptions) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SubscriptionRequest>(http);
            return error ?? (await subscriptions.SubscribeAsync(http.User.ToActor(), request!, http.RequestAborted))
                .Or(s => Results.Created($"/api/devportal/subscriptions/{s.Id}", s));
        });

        // Moving to another of the API's plans: live connections take the new limits within a second.
        group.MapPut("/subscriptions/{id:guid}", async (Guid id, HttpContext http, SubscriptionService subscriptions) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SubscriptionUpdateRequest>(http);
            return error ?? (await subscriptions.ChangePlanAsync(http.User.ToActor(), id, request!.Plan, http.RequestAborted)).Or();
        });

        group.MapDelete("/subscriptions/{id:guid}", async (Guid id, ClaimsPrincipal user, SubscriptionService subscriptions, CancellationToken ct) =>
            (await subscriptions.UnsubscribeAsync(user.ToActor(), id, ct)).Or(_ => Results.NoContent()));
    }
}
