using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Tokens;

namespace Tollgate.Server.Auth;

/// <summary>
/// Authenticates REST calls with a user access token from <c>/oauth2/token</c>. Only tokens for
/// the API audience count: an application's gateway token cannot drive the REST API.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenInspector inspector,
    RevocationList revocations) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var token = await inspector.InspectAsync(header[7..].Trim(), KeyManagerOptions.ApiAudience);
        if (token is null || revocations.IsRevoked(token.Jti))
            return AuthenticateResult.Fail("The access token is not valid, expired or revoked.");
        var claims = new List<Claim> { new(ClaimTypes.Name, token.Subject), new("jti", token.Jti) };
        claims.AddRange(token.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"tollgate\"";
        await Results.Problem(title: "Sign in first.",
            detail: "Send 'Authorization: Bearer <token>' with a user token from POST /oauth2/token (grant_type=password).",
            statusCode: 401, type: "https://tollgate.dev/problems/unauthorized").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await Results.Problem(title: "Your role does not allow this.",
            detail: "Ask an administrator for the role this action needs (creator, publisher, subscriber or admin).",
            statusCode: 403, type: "https://tollgate.dev/problems/forbidden").ExecuteAsync(Context);
    }
}
