using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.KeyManager.Signing;

namespace Tollgate.KeyManager.Endpoints;

public static class OAuthEndpointMapping
{
    /// <summary>Maps the OAuth2 endpoints: token, JWKS, RFC 8414 metadata, introspection, revocation.</summary>
    public static IEndpointRouteBuilder MapOAuth2(this IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth2/token", (HttpContext http, TokenEndpoint token) => token.HandleAsync(http)).DisableAntiforgery().AllowAnonymous();
        app.MapPost("/oauth2/introspect", (HttpContext http, IntrospectionEndpoints e) => e.IntrospectAsync(http)).DisableAntiforgery().AllowAnonymous();
        app.MapPost("/oauth2/revoke", (HttpContext http, IntrospectionEndpoints e) => e.RevokeAsync(http)).DisableAntiforgery().AllowAnonymous();
        app.MapPost("/oauth2/ticket", (HttpContext http, TicketEndpoint e) => e.HandleAsync(http)).DisableAntiforgery().AllowAnonymous();
        app.MapMethods("/oauth2/ticket", ["OPTIONS"], TicketEndpoint.Preflight).AllowAnonymous();
        app.MapGet("/oauth2/jwks", (SigningKeyStore keys) => Results.Json(new { keys = new[] { keys.PublicJwk() } })).AllowAnonymous();
        app.MapGet("/.well-known/oauth-authorization-server", (KeyManagerOptions o) => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = o.Issuer,
            ["token_endpoint"] = $"{o.Issuer}/oauth2/token",
            ["jwks_uri"] = $"{o.Issuer}/oauth2/jwks",
            ["introspection_endpoint"] = $"{o.Issuer}/oauth2/introspect",
            ["revocation_endpoint"] = $"{o.Issuer}/oauth2/revoke",
            ["grant_types_supported"] = new[] { "password", "client_credentials", "refresh_token" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["introspection_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "bearer" },
            ["revocation_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "bearer" },
            ["response_types_supported"] = Array.Empty<string>(),
            ["scopes_supported"] = new[] { "default", "openid" },
        })).AllowAnonymous();
        return app;
    }
}
