using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Changes;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.KeyManager.Tokens;

/// <summary>
/// Access tokens revoked before they expire. Held in memory for the REST API's checks and
/// copied into the gateway snapshot; persisted so revocation survives a restart. Entries
/// leave once the token would have expired anyway, which keeps the list bounded. With several control planes on one
/// PostgreSQL store, each reloads the list (<see cref="RefreshAsync"/>) when another announces a change.
/// </summary>
public sealed class RevocationList(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    private readonly ConcurrentDictionary<string, DateTime> _revoked = new(StringComparer.Ordinal);

    public async Task LoadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        await db.RevokedTokens.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(ct);
        foreach (var r in await db.RevokedTokens.AsNoTracking().ToListAsync(ct))
            _revoked[r.Jti] = r.ExpiresAt;
    }

    /// <summary>Adds what other control planes of the same store revoked (read only: the purge is left to <see cref="LoadAsync"/> at start).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        foreach (var r in await db.RevokedTokens.AsNoTracking().Where(r => r.ExpiresAt >= now).ToListAsync(ct))
            _revoked.TryAdd(r.Jti, r.ExpiresAt);
    }

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public IReadOnlyCollection<string> Snapshot()
    {
        var now = DateTime.UtcNow;
        foreach (var (jti, exp) in _revoked)
            if (exp < now)
                _revoked.TryRemove(jti, out _);
        return _revoked.Keys.ToArray();
    }

    private async Task<bool> RevokedInStoreAsync(string jti, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RevokedTokens.AnyAsync(r => r.Jti == jti, ct);
    }

    public async Task RevokeAsync(string jti, DateTime expiresAt, CancellationToken ct)
    {
        if (expiresAt < DateTime.UtcNow || !_revoked.TryAdd(jti, expiresAt))
            return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.RevokedTokens.Add(new RevokedTokenEntity { Jti = jti, ExpiresAt = expiresAt, RevokedAt = DateTime.UtcNow });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another control plane of the same store may have revoked it first: the token is revoked either way.
            if (!await RevokedInStoreAsync(jti, ct))
                throw;
        }
        await changes.NotifyAndWaitAsync(ct);
    }
}
