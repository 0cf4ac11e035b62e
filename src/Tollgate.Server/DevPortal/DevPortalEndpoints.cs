using Tollgate.ControlPlane;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Users;
using Tollgate.Core.Lifecycle;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Store.Entities;

namespace Tollgate.Server.DevPortal;

internal static class DevPortalEndpoints
{
    public static void MapDevPortalApi(this IEndpointRouteBuilder app)
    {
        // Anonymous browsing of published APIs, as developer portals allow.
        app.MapGet("/api/devportal/apis", async (string? query, ApiCatalog catalog, GatewayUrls urls, CancellationToken ct) =>
        {
            var items = (await catalog.ListAsync(query, IsListed, ct)).Select(a => a.ToResponse(urls)).ToArray();
            return Results.Ok(new { count = items.Length, items });
        }).AllowAnonymous();

        app.MapGet("/api/devportal/apis/{id:guid}", async (Guid id, ApiCatalog catalog, GatewayUrls urls, CancellationToken ct) =>
            await catalog.FindAsync(id, ct) is { } api && IsListed(api)
                ? Results.Ok(api.ToResponse(urls))
                : Problem.NotFound($"There is no published API with id {id}.")).AllowAnonymous();

        app.MapPost("/api/devportal/signup", async (HttpContext http, UserService users) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SignupRequest>(http);
            return error ?? (await users.SignUpAsync(request!, http.RequestAborted))
                .Or(user => Results.Created("/api/devportal/me", new { username = user.Username, roles = user.Roles }));
        }).AllowAnonymous();

        var group = app.MapGroup("/api/devportal").RequireAuthorization(Policies.Subscriber);
        group.MapApplicationApi();
        group.MapSubscriptionApi();
    }

    private static bool IsListed(ApiEntity api) => LifecycleStateMachine.IsSubscribable(Enum.Parse<ApiState>(api.State));
}
