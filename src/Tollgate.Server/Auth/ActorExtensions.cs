using System.Security.Claims;
using Tollgate.ControlPlane.Applications;

namespace Tollgate.Server.Auth;

internal static class ActorExtensions
{
    public static Actor ToActor(this ClaimsPrincipal user) => new(user.UserName(), user.IsAdmin());
}
