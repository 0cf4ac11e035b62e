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
    internal RelayOptions ToRelayOptions() => new()
    {
        MaxMessageBytes = MaxClientMessageBytes,
        MaxBackendMessageBytes = MaxBackendMessageBytes,
        IdleTimeout = IdleTimeout,
        PingInterval = PingInterval,
    };
}
