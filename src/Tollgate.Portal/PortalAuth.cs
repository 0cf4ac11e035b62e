using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Tollgate.ControlPlane.Applications;
using Tollgate.Core.Identity;

namespace Tollgate.Portal;

/// <summary>The portals' cookie sign-in and the signed-in user's roles.</summary>
public static class PortalAuth
{
    public const string Scheme = "TollgatePortal";

    public static ClaimsPrincipal PrincipalFor(string username, IEnumerable<string> roles)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, username) };
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>"/publisher", "/devportal" or "/admin": the portal a path belongs to.</summary>
    public static string PortalOf(string path) =>
        path.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) ? "/admin"
        : path.StartsWith("/publisher", StringComparison.OrdinalIgnoreCase) ? "/publisher"
        : "/devportal";

    public static bool Has(this ClaimsPrincipal user, string role) =>
        user.Identity?.IsAuthenticated == true && (user.IsInRole(role) || user.IsInRole(Roles.Admin));

    public static bool CanCreate(this ClaimsPrincipal user) => user.Has(Roles.Creator);
    public static bool CanPublish(this ClaimsPrincipal user) => user.Has(Roles.Publisher);
    public static bool CanSubscribe(this ClaimsPrincipal user) => user.Has(Roles.Subscriber);

    public static Actor ToActor(this ClaimsPrincipal user) => new(user.Identity?.Name ?? "", user.IsInRole(Roles.Admin));
}

/// <summary>Portal policies: each names the cookie scheme so pages never accept the REST API's bearer tokens, and the reverse.</summary>
public static class PortalPolicies
{
    public const string Publisher = "portal-publisher";   // creator, publisher or admin: the Publisher portal
    public const string Creator = "portal-creator";
    public const string Lifecycle = "portal-lifecycle";
    public const string Subscriber = "portal-subscriber";
    public const string Admin = "portal-admin";

    public static void Configure(AuthorizationOptions options)
    {
        options.AddPolicy(Publisher, p => p.AddAuthenticationSchemes(PortalAuth.Scheme).RequireRole(Roles.Creator, Roles.Publisher, Roles.Admin));
        options.AddPolicy(Creator, p => p.AddAuthenticationSchemes(PortalAuth.Scheme).RequireRole(Roles.Creator, Roles.Admin));
        options.AddPolicy(Lifecycle, p => p.AddAuthenticationSchemes(PortalAuth.Scheme).RequireRole(Roles.Publisher, Roles.Admin));
        options.AddPolicy(Subscriber, p => p.AddAuthenticationSchemes(PortalAuth.Scheme).RequireRole(Roles.Subscriber, Roles.Admin));
        options.AddPolicy(Admin, p => p.AddAuthenticationSchemes(PortalAuth.Scheme).RequireRole(Roles.Admin));
    }
}
