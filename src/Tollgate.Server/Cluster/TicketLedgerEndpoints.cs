using Microsoft.EntityFrameworkCore;
using Tollgate.Gateway.Sync;
using Tollgate.Server.Problems;
using Tollgate.Store;

namespace Tollgate.Server.Cluster;

/// <summary>
/// <c>POST /api/cluster/tickets</c>: the cluster-wide ledger of connection tickets. A gateway node asks it before it
/// accepts a ticket, so a ticket works once in the whole cluster; the store's primary key decides (one insert wins,
/// whichever node or control plane it comes through). Authorised by the node secret only.
/// </summary>
internal static class TicketLedgerEndpoints
{
    public const string Path = "/api/cluster/tickets";
    private static long _nextPurge;

    public static IEndpointRouteBuilder MapTicketLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        // Not a user's request: the node secret, checked in the handler, is its authorisation.
        app.MapPost(Path, HandleAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, TicketUseRequest? request, NodeSecretVerifier nodes,
        IDbContextFactory<TollgateDb> dbFactory, ILoggerFactory loggers, CancellationToken ct)
    {
        if (!nodes.IsValid(context))
            return nodes.Unauthorized();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (request is null || string.IsNullOrWhiteSpace(request.Id) || request.Id.Length > 100)
            return Problem.Field("id", "Send {\"id\": the ticket's jti (1 to 100 characters), \"expiresAt\": Unix milliseconds}.");
        // Tickets live 30 s: anything expired or far in the future is not a ticket this cluster made.
        if (request.ExpiresAt < now - 60_000 || request.ExpiresAt > now + 10 * 60_000)
            return Problem.Field("expiresAt", "expiresAt must be the ticket's expiry in Unix milliseconds, within the next ten minutes.");
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await PurgeIfDueAsync(db, now, ct);
            var inserted = await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"used_tickets\" (\"Id\", \"ExpiresAt\") VALUES ({0}, {1}) ON CONFLICT (\"Id\") DO NOTHING",
                [request.Id, request.ExpiresAt], ct);
            return Results.Json(new TicketUseAnswer(inserted == 1));
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException && !ct.IsCancellationRequested)
        {
            loggers.CreateLogger("Tollgate.Server.Cluster.Tickets").LogWarning("The ticket ledger is unavailable: {Error}", e.GetBaseException().Message);
            return Results.Problem(statusCode: 503, title: "The ticket ledger is unavailable.",
                detail: "The control plane cannot reach its store: tickets cannot be checked for single use until it returns.");
        }
    }

    /// <summary>At most once a minute, rows of tickets expired for more than a minute go.</summary>
    private static async Task PurgeIfDueAsync(TollgateDb db, long now, CancellationToken ct)
    {
        var due = Interlocked.Read(ref _nextPurge);
        if (now < due || Interlocked.CompareExchange(ref _nextPurge, now + 60_000, due) != due)
            return;
        var cutoff = now - 60_000;
        await db.UsedTickets.Where(t => t.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
    }
}
