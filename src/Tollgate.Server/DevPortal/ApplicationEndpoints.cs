using System.Security.Claims;
using Tollgate.ControlPlane.Applications;
using Tollgate.KeyManager.Endpoints;
using Tollgate.Server.Auth;
using Tollgate.Server.Problems;

namespace Tollgate.Server.DevPortal;

/// <summary>Applications and their production/sandbox keys. A user sees only their own applications; an admin sees all.</summary>
internal static class ApplicationEndpoints
{
    public static void MapApplicationApi(this RouteGroupBuilder group)
    {
        group.MapGet("/applications", async (ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
        {
            var items = await apps.ListAsync(user.ToActor(), ct);
            return Results.Ok(new { count = items.Count, items });
        });

        group.MapPost("/applications", async (HttpContext http, ApplicationService apps) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApplicationRequest>(http);
            return error ?? (await apps.CreateAsync(http.User.ToActor(), request!, http.RequestAborted))
                .Or(app => Results.Created($"/api/devportal/applications/{app.Id}", app));
        });

        group.MapGet("/applications/{id:guid}", async (Guid id, ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
            (await apps.GetAsync(user.ToActor(), id, ct)).Or());

        group.MapPut("/applications/{id:guid}", async (Guid id, HttpContext http, ApplicationService apps) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApplicationRequest>(http);
            return error ?? (await apps.UpdateAsync(http.User.ToActor(), id, request!, http.RequestAborted)).Or();
        });

        group.MapDelete("/applications/{id:guid}", async (Guid id, ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
            (await apps.DeleteAsync(user.ToActor(), id, ct)).Or(_ => Results.NoContent()));

        group.MapGet("/applications/{id:guid}/keys", async (Guid id, ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
            (await apps.ListKeysAsync(user.ToActor(), id, ct)).Or(items => Results.Ok(new { count = items.Count, items })));

        group.MapPost("/applications/{id:guid}/keys", async (Guid id, HttpContext http, ApplicationService apps) =>
        {
            var (request, error) = await JsonBody.ReadAsync<KeyRequest>(http);
            return error ?? (await apps.GenerateKeysAsync(http.User.ToActor(), id, request!.KeyType, http.RequestAborted))
                .Or(keys => Results.Created($"/api/devportal/applications/{id}/keys", keys));
        });

        group.MapPost("/applications/{id:guid}/keys/{keyType}/secret", async (Guid id, string keyType, ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
            (await apps.RegenerateSecretAsync(user.ToActor(), id, keyType, ct)).Or());

        group.MapPost("/applications/{id:guid}/keys/{keyType}/revoke-tokens", async (Guid id, string keyType, ClaimsPrincipal user, ApplicationService apps, CancellationToken ct) =>
            (await apps.RevokeTokensAsync(user.ToActor(), id, keyType, ct)).Or(_ => Results.NoContent()));

        group.MapGet("/applications/{id:guid}/api-keys", async (Guid id, ClaimsPrincipal user, ApiKeyService keys, CancellationToken ct) =>
            (await keys.ListAsync(user.ToActor(), id, ct)).Or(items => Results.Ok(new { count = items.Count, items })));

        group.MapPost("/applications/{id:guid}/api-keys", async (Guid id, HttpContext http, ApiKeyService keys) =>
        {
            var (request, error) = await JsonBody.ReadAsync<ApiKeyRequest>(http);
            return error ?? (await keys.CreateAsync(http.User.ToActor(), id, request!, http.RequestAborted))
                .Or(key => Results.Created($"/api/devportal/applications/{id}/api-keys/{key.Id}", key));
        });

        group.MapDelete("/applications/{id:guid}/api-keys/{keyId:guid}", async (Guid id, Guid keyId, ClaimsPrincipal user, ApiKeyService keys, CancellationToken ct) =>
            (await keys.RevokeAsync(user.ToActor(), id, keyId, ct)).Or(_ => Results.NoContent()));

        group.MapPost("/applications/{id:guid}/keys/{keyType}/token", async (Guid id, string keyType, HttpContext http, ApplicationService apps) =>
        {
            TokenRequest? request = null;
            if (http.Request.ContentLength > 0 || http.Request.HasJsonContentType())
            {
                (request, var error) = await JsonBody.ReadAsync<TokenRequest>(http);
                if (error is not null)
                    return error;
            }
            http.Response.Headers.CacheControl = "no-store";
            return (await apps.IssueTokenAsync(http.User.ToActor(), id, keyType, request?.ValiditySeconds, http.RequestAborted))
                .Or(token => TokenEndpoint.TokenAnswer(token, "default", refreshToken: null));
        });
    }
}
