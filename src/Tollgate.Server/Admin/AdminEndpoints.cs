using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Identity;
using Tollgate.Core.Validation;
using Tollgate.KeyManager.Users;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.Admin;

internal sealed record UserRequest(string? Username, string? Password, List<string>? Roles);

internal sealed record UserResponse(Guid Id, string Username, string[] Roles, DateTime CreatedAt);

internal static class AdminEndpoints
{
    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").RequireAuthorization(Policies.Admin);
        group.MapPlanApi();

        group.MapGet("/users", async (IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var items = (await db.Users.AsNoTracking().OrderBy(u => u.Username).ToListAsync(ct)).Select(ToResponse).ToArray();
            return Results.Ok(new { count = items.Length, items });
        });

        group.MapPost("/users", async (HttpContext http, IDbContextFactory<TollgateDb> dbFactory) =>
        {
            var (request, error) = await JsonBody.ReadAsync<UserRequest>(http);
            if (error is not null)
                return error;
            var roles = request!.Roles is { Count: > 0 } r ? r : [Roles.Subscriber];
            var errors = UserValidator.Validate(request.Username, request.Password, roles);
            if (!errors.IsEmpty)
                return Problem.Validation(errors);
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.Users.AnyAsync(u => u.Username == request.Username, ct))
                return Problem.Conflict($"The user name '{request.Username}' is taken: choose another.", "username");
            var user = new UserEntity
            {
                Id = Guid.NewGuid(), Username = request.Username!, PasswordHash = UserAuthenticator.HashPassword(request.Password!),
                Roles = string.Join(',', roles.Distinct()), CreatedAt = DateTime.UtcNow,
            };
            db.Users.Add(user);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/api/admin/users/{user.Id}", ToResponse(user));
        });
    }

    private static UserResponse ToResponse(UserEntity u) =>
        new(u.Id, u.Username, u.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), u.CreatedAt);
}
