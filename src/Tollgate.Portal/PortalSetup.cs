using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Users;
using Tollgate.Core.Identity;
using Tollgate.Core.Validation;

namespace Tollgate.Portal;

/// <summary>Settings of the portals that come from the server process.</summary>
public sealed record PortalOptions(TimeSpan BackendConnectTimeout);

/// <summary>
/// Wires the Publisher, Developer Portal and Admin into the control-plane host: static server-rendered
/// Blazor pages, their own cookie scheme (the REST API keeps its bearer scheme as the default),
/// antiforgery on every form, and a role check on the server for every page and form post.
/// </summary>
public static class PortalSetup
{
    private static readonly string[] PortalPrefixes = ["/publisher", "/devportal", "/admin", "/portal"];

    public static IServiceCollection AddTollgatePortal(this IServiceCollection services, PortalOptions options)
    {
        services.AddSingleton(options);
        services.AddRazorComponents();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "tollgate.antiforgery";
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
        });
        services.AddAuthentication().AddCookie(PortalAuth.Scheme, o =>
        {
            o.Cookie.Name = "tollgate.portal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnRedirectToLogin = ctx =>
            {
                var returnUrl = ctx.Request.Path + ctx.Request.QueryString;
                ctx.Response.Redirect($"{PortalAuth.PortalOf(ctx.Request.Path)}/signin?returnUrl={Uri.EscapeDataString(returnUrl)}");
                return Task.CompletedTask;
            };
            o.Events.OnRedirectToAccessDenied = ctx =>
            {
                ctx.Response.Redirect($"/portal/denied?path={Uri.EscapeDataString(ctx.Request.Path)}");
                return Task.CompletedTask;
            };
            // Roles and the disabled flag are re-read on every request: a change by an admin applies at once.
            o.Events.OnValidatePrincipal = async ctx =>
            {
                var users = ctx.HttpContext.RequestServices.GetRequiredService<UserService>();
                var name = ctx.Principal?.Identity?.Name;
                var user = name is null ? null : await users.FindAsync(name, ctx.HttpContext.RequestAborted);
                if (user is null || user.Disabled)
                {
                    ctx.RejectPrincipal();
                    await ctx.HttpContext.SignOutAsync(PortalAuth.Scheme);
                    return;
                }
                var current = ctx.Principal!.FindAll(ClaimTypes.Role).Select(c => c.Value).Order().ToArray();
                if (!current.SequenceEqual(user.Roles.Order()))
                {
                    ctx.ReplacePrincipal(PortalAuth.PrincipalFor(user.Username, user.Roles));
                    ctx.ShouldRenew = true;
                }
            };
        });
        services.AddAuthorization(PortalPolicies.Configure);
        return services;
    }

    /// <summary>After UseAuthentication/UseAuthorization: the portal user on portal paths, security headers, antiforgery.</summary>
    public static WebApplication UseTollgatePortal(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            if (IsPortalPath(ctx.Request.Path))
            {
                if (ctx.User.Identity?.IsAuthenticated != true)
                {
                    var result = await ctx.AuthenticateAsync(PortalAuth.Scheme);
                    if (result.Succeeded)
                        ctx.User = result.Principal!;
                }
                var headers = ctx.Response.Headers;
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.ContentSecurityPolicy =
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";
                headers.CacheControl = "no-store";
            }
            await next();
        });
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapTollgatePortal(this WebApplication app)
    {
        app.MapGet("/", () => Results.Redirect("/devportal")).AllowAnonymous().ExcludeFromDescription();
        MapAsset(app, "/portal/portal.css", "portal.css", "text/css; charset=utf-8");
        MapAsset(app, "/portal/portal.js", "portal.js", "text/javascript; charset=utf-8");

        app.MapPost("/portal/signout", async (HttpContext ctx, [FromForm] string? portal) =>
        {
            await ctx.SignOutAsync(PortalAuth.Scheme);
            return Results.Redirect(PortalAuth.PortalOf(portal ?? "/devportal"));
        }).AllowAnonymous();

        // As-you-type checks of the Design a New WebSocket API form: the same rules as the server's.
        app.MapGet("/portal/validate/api", async (HttpContext ctx, ApiCatalog catalog) =>
        {
            var q = ctx.Request.Query;
            var plans = q["plans"].Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!).ToList();
            var draft = new Core.Apis.ApiDraft(q["name"], q["context"], q["version"], q["endpoint"], null, plans, null, null);
            var errors = ApiValidator.Validate(draft, await catalog.PlanNamesAsync(ctx.RequestAborted)).ToDictionary();
            var mayPublish = ctx.User.IsInRole(Roles.Publisher) || ctx.User.IsInRole(Roles.Admin);
            var publishable = !string.IsNullOrWhiteSpace(q["endpoint"]) && plans.Count > 0;
            // Only the fields the user has touched are reported, so an empty form is not all red.
            var touched = q["touched"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
            return Results.Json(new
            {
                errors = errors.Where(e => touched.Contains(e.Key)).ToDictionary(e => e.Key, e => string.Join(" ", e.Value)),
                createAndPublish = mayPublish && publishable,
            });
        }).RequireAuthorization(PortalPolicies.Creator);

        app.MapRazorComponents<App>();
        return app;
    }

    private static bool IsPortalPath(PathString path) =>
        PortalPrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static void MapAsset(WebApplication app, string route, string resource, string contentType)
    {
        using var stream = typeof(PortalSetup).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource {resource} is missing.");
        using var reader = new StreamReader(stream);
        var content = reader.ReadToEnd();
        app.MapGet(route, (HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Text(content, contentType);
        }).AllowAnonymous().ExcludeFromDescription();
    }
}
