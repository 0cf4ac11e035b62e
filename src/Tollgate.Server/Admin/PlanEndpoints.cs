using Tollgate.ControlPlane.Plans;
using Tollgate.Core.Plans;
using Tollgate.Server.Problems;

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
        admin.MapGet("/plans", async (PlanService plans, CancellationToken ct) =>
        {
            var items = (await plans.ListAsync(ct)).Select(PlanResponse.From).ToArray();
            return Results.Ok(new { count = items.Length, items });
        });

        admin.MapGet("/plans/{name}", async (string name, PlanService plans, CancellationToken ct) =>
            await plans.FindAsync(name, ct) is { } plan ? Results.Ok(PlanResponse.From(plan)) : Problem.NotFound($"There is no plan named '{name}'."));

        admin.MapPost("/plans", async (HttpContext http, PlanService plans) =>
        {
            var (request, error) = await JsonBody.ReadAsync<PlanDto>(http);
            return error ?? (await plans.CreateAsync(request!, http.RequestAborted))
                .Or(plan => Results.Created($"/api/admin/plans/{Uri.EscapeDataString(plan.Name)}", PlanResponse.From(plan)));
        });

        // Edits apply to live connections under the plan within a second (the gateway snapshot is rebuilt).
        admin.MapPut("/plans/{name}", async (string name, HttpContext http, PlanService plans) =>
        {
            var (request, error) = await JsonBody.ReadAsync<PlanDto>(http);
            return error ?? (await plans.UpdateAsync(name, request!, http.RequestAborted)).Or(plan => Results.Ok(PlanResponse.From(plan)));
        });
    }
}
