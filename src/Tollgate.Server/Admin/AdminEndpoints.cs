using Tollgate.ControlPlane.Users;
using Tollgate.Gateway.Connections;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;

namespace Tollgate.Server.Admin;

internal sealed record SettingsRequest(bool? SelfSignup);

internal sealed record PushRequest(string? Text, string? Binary);

internal static class AdminEndpoints
{
    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").RequireAuthorization(Policies.Admin);
        group.MapPlanApi();

        group.MapGet("/users", async (UserService users, CancellationToken ct) =>
        {
            var items = await users.ListAsync(ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/users", async (HttpContext http, UserService users) =>
        {
            var (request, error) = await JsonBody.ReadAsync<UserRequest>(http);
            return error ?? (await users.CreateAsync(request!, http.RequestAborted)).Or(u => Results.Created($"/api/admin/users/{u.Id}", u));
        });

        // Live connections of this node: list, close one, close all of an application's.
        group.MapGet("/connections", (Guid? applicationId, Guid? apiId, LiveConnections live) =>
        {
            var items = live.List(applicationId, apiId);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapDelete("/connections/{id:long}", (long id, string? reason, LiveConnections live) =>
            live.Close(id, reason ?? "closed by an administrator") ? Results.NoContent() : Problem.NotFound($"There is no open connection {id} on this node."));

        // Push a message to one client through the gateway: {"text":"..."} or {"binary":"<base64>"}.
        group.MapPost("/connections/{id:long}/messages", async (long id, HttpContext http, LiveConnections live) =>
        {
            var (request, error) = await JsonBody.ReadAsync<PushRequest>(http);
            if (error is not null)
                return error;
            if ((request!.Text is null) == (request.Binary is null))
                return Problem.Field("text", "Send either \"text\" (a string) or \"binary\" (base64), not both or neither.");
            byte[] payload;
            try
            {
                payload = request.Text is { } text ? System.Text.Encoding.UTF8.GetBytes(text) : Convert.FromBase64String(request.Binary!);
            }
            catch (FormatException)
            {
                return Problem.Field("binary", "binary must be base64.");
            }
            if (payload.Length > LiveConnections.MaxPushBytes)
                return Problem.Field(request.Text is null ? "binary" : "text", $"The message is too large: keep it to {LiveConnections.MaxPushBytes / 1024} KiB.");
            return await live.SendAsync(id, payload, request.Text is not null) switch
            {
                null => Problem.NotFound($"There is no open connection {id} on this node."),
                false => Results.Problem(title: "The connection stayed busy or is closing.", detail: "Try again in a moment.", statusCode: 409),
                true => Results.Accepted(),
            };
        });

        group.MapDelete("/connections", (Guid? applicationId, string? reason, LiveConnections live) =>
            applicationId is { } app
                ? Results.Ok(new { closed = live.CloseApplication(app, reason ?? "closed by an administrator") })
                : Problem.Field("applicationId", "Name the application whose connections to close: ?applicationId=<id>."));

        group.MapGet("/settings", async (UserService users, CancellationToken ct) =>
            Results.Ok(new { selfSignup = await users.IsSelfSignupEnabledAsync(ct) }));

        group.MapPut("/settings", async (HttpContext http, UserService users) =>
        {
            var (request, error) = await JsonBody.ReadAsync<SettingsRequest>(http);
            if (error is not null)
                return error;
            if (request!.SelfSignup is { } selfSignup)
                await users.SetSelfSignupAsync(selfSignup, http.RequestAborted);
            return Results.Ok(new { selfSignup = await users.IsSelfSignupEnabledAsync(http.RequestAborted) });
        });
    }
}
