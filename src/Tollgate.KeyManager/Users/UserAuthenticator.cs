using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.KeyManager.Users;

/// <summary>Checks user passwords (PBKDF2 via ASP.NET Core Identity's hasher) with a slow-down after repeated failures.</summary>
public sealed class UserAuthenticator(IDbContextFactory<TollgateDb> dbFactory, LoginThrottle throttle)
{
    private static readonly PasswordHasher<UserEntity> Hasher = new();

    public static string HashPassword(string password) => Hasher.HashPassword(new UserEntity(), password);

    public async Task<UserEntity?> AuthenticateAsync(string username, string password, System.Net.IPAddress? client, CancellationToken ct)
    {
        if (username.Length is 0 or > 64 || password.Length is 0 or > 256)
            return null;
        var account = LoginThrottle.Account(username);
        var address = LoginThrottle.Address(client);
        await throttle.WaitIfThrottledAsync(account, address, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == username, ct);
        var ok = user is not null && Hasher.VerifyHashedPassword(user, user.PasswordHash, password) != PasswordVerificationResult.Failed;
        if (!ok)
        {
            throttle.RecordFailure(account, address);
            return null;
        }
        throttle.RecordSuccess(account);
        // A disabled account answers like a wrong password: no token, no hint.
        return user!.Disabled ? null : user;
    }
}
