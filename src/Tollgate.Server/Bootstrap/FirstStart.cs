using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Identity;
using Tollgate.Core.Plans;
using Tollgate.KeyManager.Users;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.Bootstrap;

/// <summary>
/// First start: the schema, the default business plans and an administrator whose password is
/// either <c>TOLLGATE_ADMIN_PASSWORD</c> or random and printed once. Only the hash is stored.
/// </summary>
internal static class FirstStart
{
    public const string AdminUser = "admin";

    public static async Task RunAsync(IDbContextFactory<TollgateDb> factory, ILogger logger, CancellationToken ct)
    {
        // The defaults are seeded inside the store's initialisation: on PostgreSQL under its lock, so two control planes
        // starting together do not both create them.
        await StoreSetup.InitializeAsync(factory, seed => SeedAsync(factory, logger, seed), ct);
    }

    private static async Task SeedAsync(IDbContextFactory<TollgateDb> factory, ILogger logger, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);

        var existingPlans = await db.Plans.ToListAsync(ct);
        foreach (var plan in DefaultPlans.All.Where(p => !existingPlans.Any(e => e.Name == p.Name)))
            db.Plans.Add(new PlanEntity { Name = plan.Name, Description = plan.Description, EventsPerDay = plan.EventsPerDay, Policy = PlanJson.Serialize(plan) });
        // A database from before throttling has plans without limits: the shipped ones get their new defaults,
        // any other keeps its daily quota as its only limit.
        foreach (var old in existingPlans.Where(p => p.Policy is null))
        {
            var plan = DefaultPlans.All.FirstOrDefault(d => d.Name == old.Name)
                ?? new BusinessPlan(old.Name, old.Description, old.EventsPerDay is { } perDay
                    ? new ThrottlePolicy(ThrottleAction.Shape, [new PlanLimit(perDay, LimitPeriod.Day)])
                    : ThrottlePolicy.None);
            old.Description = plan.Description;
            old.EventsPerDay = plan.EventsPerDay;
            old.Policy = PlanJson.Serialize(plan);
            logger.LogInformation("Schema upgrade: plan {Plan} now has limits: {Limits}", plan.Name, PlanValidator.Describe(plan.Policy));
        }

        if (!await db.Users.AnyAsync(ct))
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("TOLLGATE_ADMIN_PASSWORD");
            var password = string.IsNullOrEmpty(fromEnvironment) ? RandomPassword() : fromEnvironment;
            db.Users.Add(new UserEntity
            {
                Id = Guid.NewGuid(),
                Username = AdminUser,
                PasswordHash = UserAuthenticator.HashPassword(password),
                Roles = string.Join(',', Roles.All),
                CreatedAt = DateTime.UtcNow,
            });
            if (string.IsNullOrEmpty(fromEnvironment))
            {
                // Printed once, to the console only (not the log), and never stored in clear.
                Console.WriteLine();
                Console.WriteLine("  First start: administrator account created.");
                Console.WriteLine($"    user:     {AdminUser}");
                Console.WriteLine($"    password: {password}");
                Console.WriteLine("  This password is shown only now. Keep it safe.");
                Console.WriteLine();
            }
            else
            {
                logger.LogInformation("First start: administrator '{User}' created with the password from TOLLGATE_ADMIN_PASSWORD", AdminUser);
            }
        }
        await db.SaveChangesAsync(ct);
    }

    private static string RandomPassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return string.Create(20, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
