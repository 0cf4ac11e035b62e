namespace Tollgate.KeyManager;

/// <summary>Key manager settings. Issuer is the control plane's public base URL.</summary>
public sealed record KeyManagerOptions(
    string Issuer,
    TimeSpan AccessTokenLifetime,
    TimeSpan RefreshTokenLifetime,
    TimeSpan MaxRequestedLifetime)
{
    public const string GatewayAudience = "tollgate-gateway";
    public const string ApiAudience = "tollgate-api";
    public const string TicketAudience = "tollgate-ticket";
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromSeconds(30);
    /// <summary>The client the portals and the CLI use for password grants without an application.</summary>
    public const string FirstPartyClient = "tollgate-console";
}
