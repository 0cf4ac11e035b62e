using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Applications;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Identity;
using Tollgate.Core.Validation;
using Tollgate.KeyManager.Users;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Users;

/// <summary>User accounts, roles and the self sign-up setting.</summary>
public sealed class UserService(IDbContextFactory<TollgateDb> dbFactory)
{
    public const string SelfSignupSetting = "devportal.selfSignup";

    public async Task<List<UserResponse>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.Users.AsNoTracking().OrderBy(u => u.Username).ToListAsync(ct)).Select(ToResponse).ToList();
    }

    public async Task<OpResult<UserResponse>> CreateAsync(UserRequest request, CancellationToken ct)
    {
        var roles = request.Roles is { Count: > 0 } r ? r : [Roles.Subscriber];
        var errors = UserValidator.Validate(request.Username, request.Password, roles);
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.Username == request.Username, ct))
            return OpError.Conflict($"The user name '{request.Username}' is taken: choose another.", "username");
        var user = new UserEntity
        {
            Id = Guid.NewGuid(), Username = request.Username!, PasswordHash = UserAuthenticator.HashPassword(request.Password!),
            Roles = string.Join(',', roles.Distinct()), CreatedAt = DateTime.UtcNow,
        };
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return ToResponse(user);
    }

    public async Task<OpResult<UserResponse>> SignUpAsync(SignupRequest request, CancellationToken ct)
    {
        if (!await IsSelfSignupEnabledAsync(ct))
            return OpError.Forbidden("Self sign-up is turned off: ask an administrator for an account.");
        return await CreateAsync(new UserRequest(request.Username, request.Password, [Roles.Subscriber]), ct);
    }

    public async Task<bool> IsSelfSignupEnabledAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Settings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == SelfSignupSetting, ct) is not { Value: "false" };
    }

    public async Task SetSelfSignupAsync(bool enabled, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var setting = await db.Settings.FirstOrDefaultAsync(s => s.Key == SelfSignupSetting, ct);
        if (setting is null)
            db.Settings.Add(new SettingEntity { Key = SelfSignupSetting, Value = enabled ? "true" : "false" });
        else
            setting.Value = enabled ? "true" : "false";
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The user as stored now (the portals re-check roles and the disabled flag on every request).</summary>
    public async Task<UserResponse?> FindAsync(string username, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == username, ct) is { } u ? ToResponse(u) : null;
    }

    public async Task<OpResult<UserResponse>> SetRolesAsync(Actor actor, Guid id, IReadOnlyList<string>? roles, CancellationToken ct)
    {
        var wanted = (roles ?? []).Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r.Trim()).Distinct().ToList();
        var errors = new ValidationErrors();
        foreach (var role in wanted.Where(r => !Roles.IsKnown(r)))
            errors.Add("roles", $"Unknown role '{role}'. Use: {string.Join(", ", Roles.All)}.");
        if (wanted.Count == 0)
            errors.Add("roles", "Give the user at least one role (subscriber for developers).");
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) is not { } user)
            return OpError.NotFound($"There is no user with id {id}.");
        if (user.Username == actor.UserName && !wanted.Contains(Roles.Admin))
            return OpError.Field("roles", "You cannot take the admin role from yourself: ask another administrator.");
        user.Roles = string.Join(',', wanted);
        await db.SaveChangesAsync(ct);
        return ToResponse(user);
    }

    /// <summary>A disabled user cannot sign in, get tokens, or have their applications get tokens.</summary>
    public async Task<OpResult<UserResponse>> SetDisabledAsync(Actor actor, Guid id, bool disabled, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) is not { } user)
            return OpError.NotFound($"There is no user with id {id}.");
        if (disabled && user.Username == actor.UserName)
            return OpError.Conflict("You cannot disable your own account.");
        user.Disabled = disabled;
        await db.SaveChangesAsync(ct);
        return ToResponse(user);
    }

    private static UserResponse ToResponse(UserEntity u) =>
        new(u.Id, u.Username, u.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), u.CreatedAt, u.Disabled);
}
