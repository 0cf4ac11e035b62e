using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Applications;
using Tollgate.Core.Changes;
using Tollgate.Core.Validation;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Endpoints;
using Tollgate.KeyManager.Secrets;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Applications;

/// <summary>Applications and their production/sandbox keys. A user acts on their own applications; an admin on all.</summary>
public sealed class ApplicationService(
    IDbContextFactory<TollgateDb> dbFactory,
    ChangeFeed changes,
    TokenIssuer issuer,
    KeyManagerOptions keyManager)
{
    public async Task<List<ApplicationResponse>> ListAsync(Actor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var owner = actor.IsAdmin ? null : actor.UserName;
        return await db.Applications.AsNoTracking().Where(a => owner == null || a.Owner == owner)
            .OrderBy(a => a.Name).Select(a => new ApplicationResponse(a.Id, a.Name, a.Description, a.Owner, a.CreatedAt,
                a.ThrottlingPolicy ?? Core.Plans.DefaultPlans.Unlimited)).ToListAsync(ct);
    }

    public async Task<OpResult<ApplicationResponse>> GetAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FindOwnAsync(db, id, actor, ct) is { } app ? ToResponse(app) : NotFound(id);
    }

    public async Task<OpResult<ApplicationResponse>> CreateAsync(Actor actor, ApplicationRequest request, CancellationToken ct)
    {
        var errors = Validate(request);
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = request.Name!.Trim();
        if (await db.Applications.AnyAsync(a => a.Owner == actor.UserName && a.Name == name, ct))
            return OpError.Conflict($"You already have an application named '{name}': choose another name.", "name");
        var (policy, policyError) = await ResolvePolicyAsync(db, request.ThrottlingPolicy, ct);
        if (policyError is not null)
            return policyError;
        var app = new ApplicationEntity
        {
            Id = Guid.NewGuid(), Name = name, Description = request.Description?.Trim() ?? "", Owner = actor.UserName,
            CreatedAt = DateTime.UtcNow, ThrottlingPolicy = policy,
        };
        db.Applications.Add(app);
        await db.SaveChangesAsync(ct);
        return ToResponse(app);
    }

    public async Task<OpResult<ApplicationResponse>> UpdateAsync(Actor actor, Guid id, ApplicationRequest request, CancellationToken ct)
    {
        var errors = Validate(request);
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is not { } app)
            return NotFound(id);
        var name = request.Name!.Trim();
        if (await db.Applications.AnyAsync(a => a.Owner == app.Owner && a.Name == name && a.Id != id, ct))
            return OpError.Conflict($"You already have an application named '{name}': choose another name.", "name");
        app.Name = name;
        app.Description = request.Description?.Trim() ?? app.Description;
        if (request.ThrottlingPolicy is not null)
        {
            var (policy, policyError) = await ResolvePolicyAsync(db, request.ThrottlingPolicy, ct);
            if (policyError is not null)
                return policyError;
            app.ThrottlingPolicy = policy;
        }
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return ToResponse(app);
    }

    public async Task<OpResult<bool>> DeleteAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is not { } app)
            return NotFound(id);
        // Keys and subscriptions go with the application, in one transaction.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Subscriptions.Where(s => s.ApplicationId == id).ExecuteDeleteAsync(ct);
        await db.ApplicationKeys.Where(k => k.ApplicationId == id).ExecuteDeleteAsync(ct);
        await db.ApiKeys.Where(k => k.ApplicationId == id).ExecuteDeleteAsync(ct);
        db.Applications.Remove(app);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return true;
    }

    public async Task<OpResult<List<KeyResponse>>> ListKeysAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is null)
            return NotFound(id);
        return await db.ApplicationKeys.AsNoTracking().Where(k => k.ApplicationId == id).OrderBy(k => k.KeyType)
            .Select(k => new KeyResponse(k.KeyType, k.ConsumerKey, k.CreatedAt)).ToListAsync(ct);
    }

    public async Task<OpResult<KeyWithSecretResponse>> GenerateKeysAsync(Actor actor, Guid id, string? keyType, CancellationToken ct)
    {
        if (!KeyTypes.TryParse(keyType, out var type))
            return OpError.Field("keyType", $"keyType '{keyType}' is not known: use production or sandbox.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is null)
            return NotFound(id);
        var wire = type.ToWire();
        if (await db.ApplicationKeys.AnyAsync(k => k.ApplicationId == id && k.KeyType == wire, ct))
            return OpError.Conflict($"The application already has {wire} keys: regenerate the secret instead.", "keyType");
        var secret = SecretHasher.NewSecret();
        var key = new ApplicationKeyEntity
        {
            Id = Guid.NewGuid(), ApplicationId = id, KeyType = wire, ConsumerKey = SecretHasher.NewConsumerKey(),
            SecretHash = SecretHasher.Hash(secret), CreatedAt = DateTime.UtcNow, TokensValidAfter = WholeSecondsNow(),
        };
        db.ApplicationKeys.Add(key);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return new KeyWithSecretResponse(wire, key.ConsumerKey, secret);
    }

    /// <summary>A new secret; tokens issued with the old one stop working and the gateway closes their connections.</summary>
    public async Task<OpResult<KeyWithSecretResponse>> RegenerateSecretAsync(Actor actor, Guid id, string keyType, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is null)
            return NotFound(id);
        if (await FindKeyAsync(db, id, keyType, ct) is not { } key)
            return OpError.NotFound($"The application has no {keyType} keys: generate them first.");
        var secret = SecretHasher.NewSecret();
        key.SecretHash = SecretHasher.Hash(secret);
        key.TokensValidAfter = WholeSecondsNow();
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return new KeyWithSecretResponse(key.KeyType, key.ConsumerKey, secret);
    }

    /// <summary>
    /// Revokes every token of this key at once, without changing the secret: tokens issued before now stop
    /// working and their live connections close.
    /// </summary>
    public async Task<OpResult<bool>> RevokeTokensAsync(Actor actor, Guid id, string keyType, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is null)
            return NotFound(id);
        if (await FindKeyAsync(db, id, keyType, ct) is not { } key)
            return OpError.NotFound($"The application has no {keyType} keys.");
        key.TokensValidAfter = WholeSecondsNow().AddSeconds(1);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return true;
    }

    /// <summary>The owner's shortcut to an access token (the portal's "generate access token"), no secret needed.</summary>
    public async Task<OpResult<IssuedToken>> IssueTokenAsync(Actor actor, Guid id, string keyType, int? validitySeconds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindOwnAsync(db, id, actor, ct) is not { } app)
            return NotFound(id);
        if (await FindKeyAsync(db, id, keyType, ct) is not { } key)
            return OpError.NotFound($"The application has no {keyType} keys: generate them first.");
        if (await db.Users.AsNoTracking().AnyAsync(u => u.Username == app.Owner && u.Disabled, ct))
            return OpError.Forbidden($"The owner of this application ({app.Owner}) is disabled: no tokens are issued.");
        TimeSpan? lifetime = null;
        if (validitySeconds is { } seconds)
        {
            if (seconds < 1 || seconds > keyManager.MaxRequestedLifetime.TotalSeconds)
                return OpError.Field("validitySeconds", $"validitySeconds must be from 1 to {(int)keyManager.MaxRequestedLifetime.TotalSeconds}.");
            lifetime = TimeSpan.FromSeconds(seconds);
        }
        return issuer.Issue(TokenEndpoint.ApplicationSubject(key, app), lifetime);
    }

    internal static async Task<ApplicationEntity?> FindOwnAsync(TollgateDb db, Guid id, Actor actor, CancellationToken ct)
    {
        var app = await db.Applications.FirstOrDefaultAsync(a => a.Id == id, ct);
        return app is not null && (app.Owner == actor.UserName || actor.IsAdmin) ? app : null;
    }

    private static async Task<ApplicationKeyEntity?> FindKeyAsync(TollgateDb db, Guid appId, string keyType, CancellationToken ct)
    {
        if (!KeyTypes.TryParse(keyType, out var type))
            return null;
        var wire = type.ToWire();
        return await db.ApplicationKeys.FirstOrDefaultAsync(k => k.ApplicationId == appId && k.KeyType == wire, ct);
    }

    private static ValidationErrors Validate(ApplicationRequest request)
    {
        var errors = UserValidator.ValidateApplicationName(request.Name);
        if (request.Description is { Length: > 1000 })
            errors.Add("description", "Description is too long: keep it to 1000 characters.");
        return errors;
    }

    /// <summary>JWT iat has whole seconds; the cut-off must too, or a token issued right after would look older.</summary>
    private static DateTime WholeSecondsNow()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }

    private static OpError NotFound(Guid id) => OpError.NotFound($"You have no application with id {id}.");

    private static ApplicationResponse ToResponse(ApplicationEntity a) =>
        new(a.Id, a.Name, a.Description, a.Owner, a.CreatedAt, a.ThrottlingPolicy ?? Core.Plans.DefaultPlans.Unlimited);

    /// <summary>The application policy as stored: a known plan's canonical name, or null for none.</summary>
    private static async Task<(string? Policy, OpError? Error)> ResolvePolicyAsync(TollgateDb db, string? requested, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(requested) || requested.Trim().Equals(Core.Plans.DefaultPlans.Unlimited, StringComparison.OrdinalIgnoreCase))
            return (null, null);
        var names = await db.Plans.AsNoTracking().Select(p => p.Name).ToListAsync(ct);
        var name = names.FirstOrDefault(n => n.Equals(requested.Trim(), StringComparison.OrdinalIgnoreCase));
        return name is null
            ? (null, OpError.Field("throttlingPolicy", $"There is no plan named '{requested}' to use as the application's policy. Choose from: {string.Join(", ", names.Order())}."))
            : (name, null);
    }
}
