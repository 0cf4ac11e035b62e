using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Applications;
using Tollgate.Core.Changes;
using Tollgate.Core.Validation;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Endpoints;
using Tollgate.KeyManager.Secrets;
using Tollgate.KeyManager.Tokens;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.DevPortal;

/// <summary>Applications and their production/sandbox keys. A user sees only their own applications; an admin sees all.</summary>
internal static class ApplicationEndpoints
{
    public static void MapApplicationApi(this RouteGroupBuilder group)
    {
        group.MapGet("/applications", async (ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var owner = user.IsAdmin() ? null : user.UserName();
            var items = await db.Applications.AsNoTracking().Where(a => owner == null || a.Owner == owner)
                .OrderBy(a => a.Name).Select(a => new ApplicationResponse(a.Id, a.Name, a.Description, a.Owner, a.CreatedAt, a.ThrottlingPolicy ?? Core.Plans.DefaultPlans.Unlimited)).ToListAsync(ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/applications", async (HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApplicationRequest>(http);
            if (error is not null)
                return error;
            var errors = UserValidator.ValidateApplicationName(request!.Name);
            if (request.Description is { Length: > 1000 })
                errors.Add("description", "Description is too long: keep it to 1000 characters.");
            if (!errors.IsEmpty)
                return Problem.Validation(errors);
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var owner = http.User.UserName();
            var name = request.Name!.Trim();
            if (await db.Applications.AnyAsync(a => a.Owner == owner && a.Name == name, ct))
                return Problem.Conflict($"You already have an application named '{name}': choose another name.", "name");
            var (policyOk, policy, policyProblem) = await ResolvePolicyAsync(db, request.ThrottlingPolicy, ct);
            if (!policyOk)
                return policyProblem!;
            var app = new ApplicationEntity { Id = Guid.NewGuid(), Name = name, Description = request.Description?.Trim() ?? "", Owner = owner, CreatedAt = DateTime.UtcNow, ThrottlingPolicy = policy };
            db.Applications.Add(app);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/api/devportal/applications/{app.Id}", ToResponse(app));
        });

        group.MapGet("/applications/{id:guid}", async (Guid id, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await FindOwnAsync(db, id, user, ct) is { } app ? Results.Ok(ToResponse(app)) : NotFound(id);
        });

        group.MapPut("/applications/{id:guid}", async (Guid id, HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApplicationRequest>(http);
            if (error is not null)
                return error;
            var errors = UserValidator.ValidateApplicationName(request!.Name);
            if (!errors.IsEmpty)
                return Problem.Validation(errors);
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, http.User, ct) is not { } app)
                return NotFound(id);
            var name = request.Name!.Trim();
            if (await db.Applications.AnyAsync(a => a.Owner == app.Owner && a.Name == name && a.Id != id, ct))
                return Problem.Conflict($"You already have an application named '{name}': choose another name.", "name");
            app.Name = name;
            app.Description = request.Description?.Trim() ?? app.Description;
            if (request.ThrottlingPolicy is not null)
            {
                var (policyOk, policy, policyProblem) = await ResolvePolicyAsync(db, request.ThrottlingPolicy, ct);
                if (!policyOk)
                    return policyProblem!;
                app.ThrottlingPolicy = policy;
            }
            await db.SaveChangesAsync(ct);
            changes.Notify(); // the name and the policy reach the gateway's snapshot
            return Results.Ok(ToResponse(app));
        });

        group.MapDelete("/applications/{id:guid}", async (Guid id, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, user, ct) is not { } app)
                return NotFound(id);
            // Keys and subscriptions go with the application, in one transaction.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Subscriptions.Where(s => s.ApplicationId == id).ExecuteDeleteAsync(ct);
            await db.ApplicationKeys.Where(k => k.ApplicationId == id).ExecuteDeleteAsync(ct);
            db.Applications.Remove(app);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            changes.Notify();
            return Results.NoContent();
        });

        group.MapGet("/applications/{id:guid}/keys", async (Guid id, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, user, ct) is null)
                return NotFound(id);
            var items = await db.ApplicationKeys.AsNoTracking().Where(k => k.ApplicationId == id).OrderBy(k => k.KeyType)
                .Select(k => new KeyResponse(k.KeyType, k.ConsumerKey, k.CreatedAt)).ToListAsync(ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/applications/{id:guid}/keys", async (Guid id, HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<KeyRequest>(http);
            if (error is not null)
                return error;
            if (!KeyTypes.TryParse(request!.KeyType, out var keyType))
                return Problem.Field("keyType", $"keyType '{request.KeyType}' is not known: use production or sandbox.");
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, http.User, ct) is null)
                return NotFound(id);
            var wire = keyType.ToWire();
            if (await db.ApplicationKeys.AnyAsync(k => k.ApplicationId == id && k.KeyType == wire, ct))
                return Problem.Conflict($"The application already has {wire} keys: regenerate the secret with POST .../keys/{wire}/secret.", "keyType");
            var secret = SecretHasher.NewSecret();
            var key = new ApplicationKeyEntity
            {
                Id = Guid.NewGuid(), ApplicationId = id, KeyType = wire, ConsumerKey = SecretHasher.NewConsumerKey(),
                SecretHash = SecretHasher.Hash(secret), CreatedAt = DateTime.UtcNow, TokensValidAfter = WholeSecondsNow(),
            };
            db.ApplicationKeys.Add(key);
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.Created($"/api/devportal/applications/{id}/keys", new KeyWithSecretResponse(wire, key.ConsumerKey, secret));
        });

        group.MapPost("/applications/{id:guid}/keys/{keyType}/secret", async (Guid id, string keyType, ClaimsPrincipal user, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, user, ct) is null)
                return NotFound(id);
            if (await FindKeyAsync(db, id, keyType, ct) is not { } key)
                return Problem.NotFound($"The application has no {keyType} keys: generate them first.");
            var secret = SecretHasher.NewSecret();
            key.SecretHash = SecretHasher.Hash(secret);
            // Tokens issued with the old secret stop working: the gateway closes their connections.
            key.TokensValidAfter = WholeSecondsNow();
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.Ok(new KeyWithSecretResponse(key.KeyType, key.ConsumerKey, secret));
        });

        group.MapPost("/applications/{id:guid}/keys/{keyType}/token", async (Guid id, string keyType, HttpContext http, IDbContextFactory<TollgateDb> dbFactory, TokenIssuer issuer, KeyManagerOptions options) =>
        {
            TokenRequest? request = null;
            if (http.Request.ContentLength > 0 || http.Request.HasJsonContentType())
            {
                (request, var error) = await JsonBody.ReadAsync<TokenRequest>(http);
                if (error is not null)
                    return error;
            }
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await FindOwnAsync(db, id, http.User, ct) is not { } app)
                return NotFound(id);
            if (await FindKeyAsync(db, id, keyType, ct) is not { } key)
                return Problem.NotFound($"The application has no {keyType} keys: generate them first.");
            TimeSpan? lifetime = null;
            if (request?.ValiditySeconds is { } seconds)
            {
                if (seconds < 1 || seconds > options.MaxRequestedLifetime.TotalSeconds)
                    return Problem.Field("validitySeconds", $"validitySeconds must be from 1 to {(int)options.MaxRequestedLifetime.TotalSeconds}.");
                lifetime = TimeSpan.FromSeconds(seconds);
            }
            var subject = TokenEndpoint.ApplicationSubject(key, app);
            http.Response.Headers.CacheControl = "no-store";
            return TokenEndpoint.TokenAnswer(issuer.Issue(subject, lifetime), subject.Scope, refreshToken: null);
        });
    }

    internal static async Task<ApplicationEntity?> FindOwnAsync(TollgateDb db, Guid id, ClaimsPrincipal user, CancellationToken ct)
    {
        var app = await db.Applications.FirstOrDefaultAsync(a => a.Id == id, ct);
        return app is not null && (app.Owner == user.UserName() || user.IsAdmin()) ? app : null;
    }

    private static async Task<ApplicationKeyEntity?> FindKeyAsync(TollgateDb db, Guid appId, string keyType, CancellationToken ct)
    {
        if (!KeyTypes.TryParse(keyType, out var type))
            return null;
        var wire = type.ToWire();
        return await db.ApplicationKeys.FirstOrDefaultAsync(k => k.ApplicationId == appId && k.KeyType == wire, ct);
    }

    /// <summary>JWT iat has whole seconds; the cut-off must too, or a token issued right after would look older.</summary>
    private static DateTime WholeSecondsNow()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }

    private static IResult NotFound(Guid id) => Problem.NotFound($"You have no application with id {id}.");

    private static ApplicationResponse ToResponse(ApplicationEntity a) =>
        new(a.Id, a.Name, a.Description, a.Owner, a.CreatedAt, a.ThrottlingPolicy ?? Core.Plans.DefaultPlans.Unlimited);

    /// <summary>The application policy as stored: a known plan's canonical name, or null for none.</summary>
    private static async Task<(bool Ok, string? Policy, IResult? Problem)> ResolvePolicyAsync(TollgateDb db, string? requested, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(requested) || requested.Trim().Equals(Core.Plans.DefaultPlans.Unlimited, StringComparison.OrdinalIgnoreCase))
            return (true, null, null);
        var names = await db.Plans.AsNoTracking().Select(p => p.Name).ToListAsync(ct);
        var name = names.FirstOrDefault(n => n.Equals(requested.Trim(), StringComparison.OrdinalIgnoreCase));
        return name is null
            ? (false, null, Problem.Field("throttlingPolicy", $"There is no plan named '{requested}' to use as the application's policy. Choose from: {string.Join(", ", names.Order())}."))
            : (true, name, null);
    }
}
