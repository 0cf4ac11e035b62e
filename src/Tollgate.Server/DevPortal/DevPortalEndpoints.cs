using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Identity;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Validation;
using Tollgate.KeyManager.Users;
using Tollgate.Server.Auth;
using Tollgate.Server.Hosting;
using Tollgate.Server.Problems;
using Tollgate.Server.Publisher;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.DevPortal;

internal static class DevPortalEndpoints
{
    public const string SelfSignupSetting = "devportal.selfSignup";

    public static void MapDevPortalApi(this IEndpointRouteBuilder app)
    {
        // Anonymous browsing of published APIs, as developer portals allow.
        app.MapGet("/api/devportal/apis", async (string? query, ApiCatalog catalog, ServerOptions server, CancellationToken ct) =>
        {
            var items = (await catalog.ListAsync(query, IsListed, ct)).Select(a => a.ToResponse(server)).ToArray();
            return Results.Ok(new { count = items.Length, items });
        }).AllowAnonymous();

        app.MapGet("/api/devportal/apis/{id:guid}", async (Guid id, ApiCatalog catalog, ServerOptions server, CancellationToken ct) =>
            await catalog.FindAsync(id, ct) is { } api && IsListed(api)
                ? Results.Ok(api.ToResponse(server))
                : Problem.NotFound($"There is no published API with id {id}.")).AllowAnonymous();

        app.MapPost("/api/devportal/signup", async (HttpContext http, IDbContextFactory<TollgateDb> dbFactory) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SignupRequest>(http);
            if (error is not null)
                return error;
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.Settings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == SelfSignupSetting, ct) is { Value: "false" })
                return Problem.Forbidden("Self sign-up is turned off: ask an administrator for an account.");
            var errors = UserValidator.Validate(request!.Username, request.Password, null);
            if (!errors.IsEmpty)
                return Problem.Validation(errors);
            if (await db.Users.AnyAsync(u => u.Username == request.Username, ct))
                return Problem.Conflict($"The user name '{request.Username}' is taken: choose another.", "username");
            db.Users.Add(new UserEntity
            {
                Id = Guid.NewGuid(), Username = request.Username!, PasswordHash = UserAuthenticator.HashPassword(request.Password!),
                Roles = Roles.Subscriber, CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync(ct);
            return Results.Created("/api/devportal/me", new { username = request.Username, roles = new[] { Roles.Subscriber } });
        }).AllowAnonymous();

        var group = app.MapGroup("/api/devportal").RequireAuthorization(Policies.Subscriber);
        group.MapApplicationApi();
        group.MapSubscriptionApi();
    }

    private static bool IsListed(ApiEntity api) => LifecycleStateMachine.IsSubscribable(Enum.Parse<ApiState>(api.State));
}
