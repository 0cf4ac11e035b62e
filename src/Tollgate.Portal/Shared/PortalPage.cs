using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Tollgate.ControlPlane.Applications;
using Tollgate.ControlPlane.Results;

namespace Tollgate.Portal.Shared;

/// <summary>Base of every portal page: the request, the signed-in user, the posted form and a notice to show.</summary>
public abstract class PortalPage : ComponentBase
{
    [CascadingParameter] public HttpContext Http { get; set; } = default!;
    [Inject] public NavigationManager Nav { get; set; } = default!;

    protected ClaimsPrincipal User => Http.User;
    protected bool SignedIn => User.Identity?.IsAuthenticated == true;
    protected string UserName => User.Identity?.Name ?? "";
    protected Actor Actor => User.ToActor();

    /// <summary>A success message, shown above the page content.</summary>
    protected string? Notice { get; set; }
    /// <summary>Why the last action did not happen.</summary>
    protected OpError? Problem { get; set; }

    protected CancellationToken Aborted => Http.RequestAborted;

    protected async Task<IFormCollection> FormAsync() => await Http.Request.ReadFormAsync(Aborted);

    protected async Task<string?> FieldAsync(string name) =>
        (await FormAsync()).TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

    /// <summary>Refuses an action the user's role does not allow, whatever the page showed: 403 and the reason.</summary>
    protected void Refuse(string message)
    {
        Http.Response.StatusCode = StatusCodes.Status403Forbidden;
        Problem = OpError.Forbidden(message);
    }

    /// <summary>Shows a failed operation; the HTTP status tells scripts what happened too.</summary>
    protected void Fail(OpError error)
    {
        Http.Response.StatusCode = error.Kind switch
        {
            OpErrorKind.NotFound => 404,
            OpErrorKind.Conflict => 409,
            OpErrorKind.Forbidden => 403,
            _ => 400,
        };
        Problem = error;
    }

    protected string? ErrorFor(string field) => Problem?.For(field);
}
