using Microsoft.EntityFrameworkCore;
using Tollgate.Store;

namespace Tollgate.Server.DevPortal;

internal static class SubscriptionQueries
{
    /// <summary>Subscriptions joined with their API and application, filtered by any of the given keys.</summary>
    public static async Task<List<SubscriptionResponse>> ListAsync(TollgateDb db, Guid? apiId, Guid? applicationId, string? owner, CancellationToken ct)
    {
        var query =
            from s in db.Subscriptions.AsNoTracking()
            join a in db.Apis.AsNoTracking() on s.ApiId equals a.Id
            join app in db.Applications.AsNoTracking() on s.ApplicationId equals app.Id
            where (apiId == null || s.ApiId == apiId)
               && (applicationId == null || s.ApplicationId == applicationId)
               && (owner == null || app.Owner == owner)
            orderby s.CreatedAt
            select new SubscriptionResponse(s.Id, s.ApiId, s.ApplicationId, a.Name, a.Version, a.Context,
                app.Name, app.Owner, s.Plan, s.Status, s.CreatedAt);
        return await query.ToListAsync(ct);
    }
}
