using Microsoft.EntityFrameworkCore;
using Tollgate.Core.Changes;
using Tollgate.Core.Plans;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.Admin;

/// <summary>A plan as the admin API answers it: the body it takes, plus the daily events (for the first plans API's clients).</summary>
internal sealed record PlanResponse(
    string Name, string Description, string Action, List<LimitDto> Limits, int? MaxConnections, long? MaxConnectionDuration,
    string Direction, long? EventsPerDay)
{
    public static PlanResponse From(BusinessPlan plan)
    {
        var dto = PlanJson.ToDto(plan);
        return new(plan.Name, plan.Description, dto.Action!, dto.Limits!, dto.MaxConnections, dto.MaxConnectionDuration, dto.Direction!, plan.EventsPerDay);
    }
}

/// <summary>Business plans: the admin defines them; publishers offer them on APIs; the gateway enforces them.</summary>
internal static class PlanEndpoints
{
    public static void MapPlanApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/plans", async (IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
        {
            var items = (await LoadAsync(dbFactory, ct)).Select(PlanResponse.From).ToArray();
            return Results.Ok(new { count = items.Length, items });
        });

        admin.MapGet("/plans/{name}", async (string name, IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct) =>
            (await LoadAsync(dbFactory, ct)).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } plan
                ? Results.Ok(PlanResponse.From(plan))
                : Problem.NotFound($"There is no plan named '{name}'."));

        admin.MapPost("/plans", async (HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<PlanDto>(http);
            if (error is not null)
                return error;
            var (plan, errors) = PlanValidator.Validate(request!);
            if (plan is null)
                return Problem.Validation(errors);
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var names = await db.Plans.Select(p => p.Name).ToListAsync(ct);
            if (names.FirstOrDefault(n => n.Equals(plan.Name, StringComparison.OrdinalIgnoreCase)) is { } taken)
                return Problem.Conflict($"There is already a plan named '{taken}': choose another name, or change it with PUT /api/admin/plans/{taken}.", "name");
            db.Plans.Add(new PlanEntity { Name = plan.Name, Description = plan.Description, EventsPerDay = plan.EventsPerDay, Policy = PlanJson.Serialize(plan) });
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.Created($"/api/admin/plans/{Uri.EscapeDataString(plan.Name)}", PlanResponse.From(plan));
        });

        // Edits apply to live connections under the plan within a second (the gateway snapshot is rebuilt).
        admin.MapPut("/plans/{name}", async (string name, HttpContext http, IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes) =>
        {
            var (request, error) = await JsonBody.ReadAsync<PlanDto>(http);
            if (error is not null)
                return error;
            var ct = http.RequestAborted;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var entity = (await db.Plans.ToListAsync(ct)).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (entity is null)
                return Problem.NotFound($"There is no plan named '{name}': create it with POST /api/admin/plans.");
            if (request!.Name is { } renamed && !renamed.Trim().Equals(entity.Name, StringComparison.OrdinalIgnoreCase))
                return Problem.Field("name", $"A plan cannot be renamed (subscriptions refer to it by name): leave name out or use '{entity.Name}'.");
            var (plan, errors) = PlanValidator.Validate(request with { Name = entity.Name });
            if (plan is null)
                return Problem.Validation(errors);
            entity.Description = plan.Description;
            entity.EventsPerDay = plan.EventsPerDay;
            entity.Policy = PlanJson.Serialize(plan);
            await db.SaveChangesAsync(ct);
            changes.Notify();
            return Results.Ok(PlanResponse.From(plan));
        });
    }

    /// <summary>All plans, read the way the gateway reads them.</summary>
    public static async Task<List<BusinessPlan>> LoadAsync(IDbContextFactory<TollgateDb> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Plans.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return rows.Select(p =>
        {
            try
            {
                return p.Policy is null ? new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None) : PlanJson.DeserializePlan(p.Policy);
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                return new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None);
            }
        }).ToList();
    }
}
