using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Changes;
using Tollgate.Core.Plans;
using Tollgate.Core.Validation;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Plans;

/// <summary>The Admin portal's short form of a plan: its description and daily events (other limits stay as they are).</summary>
public sealed record PlanRequest(string? Name, string? Description, long? EventsPerDay);

/// <summary>
/// Business plans: the admin defines them (REST and Admin portal), publishers offer them on APIs, the gateway
/// enforces them. Edits reach live connections under the plan within a second.
/// </summary>
public sealed class PlanService(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    /// <summary>All plans, read the way the gateway reads them (a row that cannot be read limits nothing).</summary>
    public async Task<List<BusinessPlan>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Plans.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return rows.Select(Read).ToList();
    }

    public async Task<BusinessPlan?> FindAsync(string name, CancellationToken ct) =>
        (await ListAsync(ct)).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public async Task<OpResult<BusinessPlan>> CreateAsync(PlanDto request, CancellationToken ct)
    {
        var (plan, errors) = PlanValidator.Validate(request);
        if (plan is null)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Plans.Select(p => p.Name).ToListAsync(ct);
        if (names.FirstOrDefault(n => n.Equals(plan.Name, StringComparison.OrdinalIgnoreCase)) is { } taken)
            return OpError.Conflict($"There is already a plan named '{taken}': choose another name, or edit that plan.", "name");
        db.Plans.Add(new PlanEntity { Name = plan.Name, Description = plan.Description, EventsPerDay = plan.EventsPerDay, Policy = PlanJson.Serialize(plan) });
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return plan;
    }

    /// <summary>Replaces a plan's description and limits; the name is its identity (APIs and subscriptions refer to it).</summary>
    public async Task<OpResult<BusinessPlan>> UpdateAsync(string name, PlanDto request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = (await db.Plans.ToListAsync(ct)).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (entity is null)
            return OpError.NotFound($"There is no plan named '{name}'.");
        if (request.Name is { } renamed && !renamed.Trim().Equals(entity.Name, StringComparison.OrdinalIgnoreCase))
            return OpError.Field("name", $"A plan cannot be renamed (subscriptions refer to it by name): leave name out or use '{entity.Name}'.");
        var (plan, errors) = PlanValidator.Validate(request with { Name = entity.Name });
        if (plan is null)
            return OpError.Validation(errors);
        entity.Description = plan.Description;
        entity.EventsPerDay = plan.EventsPerDay;
        entity.Policy = PlanJson.Serialize(plan);
        await db.SaveChangesAsync(ct);
        await changes.NotifyAndWaitAsync(ct);
        return plan;
    }

    /// <summary>The Admin portal's create: a shaping plan with an optional daily quota.</summary>
    public Task<OpResult<BusinessPlan>> CreateAsync(PlanRequest request, CancellationToken ct) =>
        CreateAsync(new PlanDto(request.Name, request.Description, "shape", DayLimit(request.EventsPerDay)), ct);

    /// <summary>The Admin portal's edit: changes the description and the daily quota, keeps the plan's other limits.</summary>
    public async Task<OpResult<BusinessPlan>> UpdateAsync(string name, PlanRequest request, CancellationToken ct)
    {
        if (await FindAsync(name, ct) is not { } current)
            return OpError.NotFound($"There is no plan named '{name}'.");
        var dto = PlanJson.ToDto(current);
        var limits = (dto.Limits ?? []).Where(l => l.Per != "day").Concat(DayLimit(request.EventsPerDay)).ToList();
        return await UpdateAsync(name, dto with { Description = request.Description ?? "", Limits = limits }, ct);
    }

    private static List<LimitDto> DayLimit(long? eventsPerDay) => eventsPerDay is { } perDay ? [new LimitDto(perDay, "day")] : [];

    private static BusinessPlan Read(PlanEntity p)
    {
        try
        {
            return p.Policy is null ? new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None) : PlanJson.DeserializePlan(p.Policy);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return new BusinessPlan(p.Name, p.Description, ThrottlePolicy.None);
        }
    }
}
