using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Applications;
using Tollgate.Core.Changes;
using Tollgate.KeyManager.Secrets;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Applications;

public sealed record ApiKeyRequest(string? Name, string? KeyType);

public sealed record ApiKeyResponse(Guid Id, string Name, string KeyType, string Prefix, DateTime CreatedAt);

/// <summary>Shown once, when the key is created.</summary>
public sealed record ApiKeyCreatedResponse(Guid Id, string Name, string KeyType, string Prefix, string ApiKey, DateTime CreatedAt);

/// <summary>
/// API keys of an application: for APIs that allow them, a key sent as the <c>apikey</c> header or query
/// parameter stands in for an OAuth2 token, with the same subscription and plan checks. Stored hashed.
/// </summary>
public sealed class ApiKeyService(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    public const string KeyPrefix = "tgk_";
    public const int MaxKeysPerApplication = 20;

    public async Task<OpResult<List<ApiKeyResponse>>> ListAsync(Actor actor, Guid applicationId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ApplicationService.FindOwnAsync(db, applicationId, actor, ct) is null)
            return OpError.NotFound($"You have no application with id {applicationId}.");
        return await db.ApiKeys.AsNoTracking().Where(k => k.ApplicationId == applicationId).OrderBy(k => k.CreatedAt)
            .Select(k => new ApiKeyResponse(k.Id, k.Name, k.KeyType, k.Prefix, k.CreatedAt)).ToListAsync(ct);
    }

    public async Task<OpResult<ApiKeyCreatedResponse>> CreateAsync(Actor actor, Guid applicationId, ApiKeyRequest request, CancellationToken ct)
    {
        if (!KeyTypes.TryParse(request.KeyType ?? "production", out var keyType))
            return OpError.Field("keyType", $"keyType '{request.KeyType}' is not known: use production or sandbox.");
        var name = string.IsNullOrWhiteSpace(request.Name) ? "API key" : request.Name.Trim();
        if (name.Length > 70)
            return OpError.Field("name", "The key's name is too long: keep it to 70 characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ApplicationService.FindOwnAsync(db, applicationId, actor, ct) is null)
            return OpError.NotFound($"You have no application with id {applicationId}.");
        if (await db.ApiKeys.CountAsync(k => k.ApplicationId == applicationId, ct) >= MaxKeysPerApplication)
            return OpError.Conflict($"An application can have at most {MaxKeysPerApplication} API keys: revoke one first.");
        var key = KeyPrefix + SecretHasher.NewSecret();
        var entity = new ApiKeyEntity
        {
            Id = Guid.NewGuid(), ApplicationId = applicationId, KeyType = keyType.ToWire(), Name = name,
            KeyHash = SecretHasher.Hash(key), Prefix = key[..(KeyPrefix.Length + 6)], CreatedAt = DateTime.UtcNow,
        };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return new ApiKeyCreatedResponse(entity.Id, entity.Name, entity.KeyType, entity.Prefix, key, entity.CreatedAt);
    }

    /// <summary>Revoking deletes the key: new connections with it get 401 and live ones close with 1008.</summary>
    public async Task<OpResult<bool>> RevokeAsync(Actor actor, Guid applicationId, Guid keyId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ApplicationService.FindOwnAsync(db, applicationId, actor, ct) is null)
            return OpError.NotFound($"You have no application with id {applicationId}.");
        var deleted = await db.ApiKeys.Where(k => k.Id == keyId && k.ApplicationId == applicationId).ExecuteDeleteAsync(ct);
        if (deleted == 0)
            return OpError.NotFound($"The application has no API key with id {keyId}.");
        await changes.NotifyAndWaitAsync(ct);
        return true;
    }
}
