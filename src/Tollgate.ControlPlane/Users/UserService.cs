using Microsoft.EntityFrameworkCore;
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

    private static UserResponse ToResponse(UserEntity u) =>
        new(u.Id, u.Username, u.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), u.CreatedAt);
}
