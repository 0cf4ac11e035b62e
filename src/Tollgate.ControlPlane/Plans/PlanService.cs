using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Changes;
using Tollgate.Core.Plans;
using Tollgate.Core.Validation;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.ControlPlane.Plans;

public sealed record PlanRequest(string? Name, string? Description, long? EventsPerDay);

/// <summary>Business plans (Admin): list, create, edit. Limits themselves are enforced by the gateway's throttling.</summary>
public sealed partial class PlanService(IDbContextFactory<TollgateDb> dbFactory, ChangeFeed changes)
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]
    private static partial Regex NamePattern();

    public async Task<List<BusinessPlan>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.Plans.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct))
            .Select(p => new BusinessPlan(p.Name, p.Description, p.EventsPerDay)).ToList();
    }

    public async Task<OpResult<BusinessPlan>> CreateAsync(PlanRequest request, CancellationToken ct)
    {
        var errors = Validate(request, validateName: true);
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = request.Name!.Trim();
        if ((await db.Plans.AsNoTracking().Select(p => p.Name).ToListAsync(ct)).Any(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)))
            return OpError.Conflict($"A plan named '{name}' already exists: edit it, or choose another name.", "name");
        var plan = new PlanEntity { Name = name, Description = request.Description?.Trim() ?? "", EventsPerDay = request.EventsPerDay };
        db.Plans.Add(plan);
        await db.SaveChangesAsync(ct);
        changes.Notify();
        return new BusinessPlan(plan.Name, plan.Description, plan.EventsPerDay);
    }

    /// <summary>Changes the description and limit; the name is the plan's identity (APIs and subscriptions refer to it).</summary>
    public async Task<OpResult<BusinessPlan>> UpdateAsync(string name, PlanRequest request, CancellationToken ct)
    {
        var errors = Validate(request, validateName: false);
        if (!errors.IsEmpty)
            return OpError.Validation(errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Plans.FirstOrDefaultAsync(p => p.Name == name, ct) is not { } plan)
            return OpError.NotFound($"There is no plan named '{name}'.");
        plan.Description = request.Description?.Trim() ?? "";
        plan.EventsPerDay = request.EventsPerDay;
        await db.SaveChangesAsync(ct);
        changes.Notify();
        return new BusinessPlan(plan.Name, plan.Description, plan.EventsPerDay);
    }

    private static ValidationErrors Validate(PlanRequest request, bool validateName)
    {
        var errors = new ValidationErrors();
        if (validateName)
        {
            if (string.IsNullOrWhiteSpace(request.Name))
                errors.Add("name", "Plan name is required, e.g. Platinum.");
            else if (!NamePattern().IsMatch(request.Name.Trim()))
                errors.Add("name", "Plan name: 1 to 40 letters, digits, '-', '_' or '.', starting with a letter or digit (no commas or spaces).");
        }
        if (request.Description is { Length: > 200 })
            errors.Add("description", "Description is too long: keep it to 200 characters.");
        if (request.EventsPerDay is < 1)
            errors.Add("eventsPerDay", "Events per day must be at least 1; leave it empty for no limit.");
        return errors;
    }
}
