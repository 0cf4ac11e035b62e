using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Tollgate.Core.Identity;

namespace Tollgate.Server.Auth;

/// <summary>One policy per role; admin satisfies every policy.</summary>
internal static class Policies
{
    public const string Creator = "creator";
    public const string Publisher = "publisher";
    public const string PublisherPortal = "publisher-portal";
    public const string Subscriber = "subscriber";
    public const string Admin = "admin";
    public const string SignedIn = "signed-in";

    public static void Configure(AuthorizationOptions options)
    {
        options.AddPolicy(Creator, p => p.RequireRole(Roles.Creator, Roles.Admin));
        options.AddPolicy(Publisher, p => p.RequireRole(Roles.Publisher, Roles.Admin));
        options.AddPolicy(PublisherPortal, p => p.RequireRole(Roles.Creator, Roles.Publisher, Roles.Admin));
        options.AddPolicy(Subscriber, p => p.RequireRole(Roles.Subscriber, Roles.Admin));
        options.AddPolicy(Admin, p => p.RequireRole(Roles.Admin));
        options.AddPolicy(SignedIn, p => p.RequireAuthenticatedUser());
    }

    public static string UserName(this ClaimsPrincipal user) => user.Identity?.Name ?? "";

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);
}
