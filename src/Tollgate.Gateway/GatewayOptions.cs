using Microsoft.IdentityModel.Tokens;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway;

/// <summary>Gateway settings that apply to every connection.</summary>
public sealed record GatewayOptions(
    TimeSpan BackendConnectTimeout,
    long MaxClientMessageBytes,
    long MaxBackendMessageBytes,
    TimeSpan IdleTimeout,
    TimeSpan PingInterval = default,
    int MaxConnectionsPerClient = 0,
    bool AcceptAnyBackendCertificate = false)
{
    /// <summary>Signs the caller JWTs sent to backends of APIs that ask for one; null where this node has no key.</summary>
    public SigningCredentials? CallerSigning { get; init; }

    /// <summary>How long a connection may outlive its access token before it is closed (1008 "token expired").</summary>
    public TimeSpan TokenExpiryGrace { get; init; } = TimeSpan.Zero;

    /// <summary>How long a backend host name's addresses are kept before it is resolved again (<c>--backend-dns-ttl</c>); null: 10 s.</summary>
    public TimeSpan? BackendNameLifetime { get; init; }

    /// <summary>The issuer named in caller JWTs (the control plane's, whose JWKS verifies them).</summary>
    public string CallerIssuer { get; init; } = "";

    internal RelayOptions ToRelayOptions() => new()
    {
        MaxMessageBytes = MaxClientMessageBytes,
        MaxBackendMessageBytes = MaxBackendMessageBytes,
        IdleTimeout = IdleTimeout,
        PingInterval = PingInterval,
    };
}
