using Microsoft.Extensions.Configuration;

namespace Tollgate.Server.Hosting;

internal enum ServerRole { All, ControlPlane, Gateway }

/// <summary>Process settings, from the command line (<c>--data DIR</c>), <c>TOLLGATE_*</c> environment variables or configuration.</summary>
internal sealed record ServerOptions(
    ServerRole Role,
    string DataFolder,
    string BindAddress,
    int HttpsPort,
    int GatewayPort,
    int GatewayTlsPort,
    int EchoPort,
    string PublicHost,
    TimeSpan BackendConnectTimeout,
    long MaxClientMessageBytes,
    long MaxBackendMessageBytes,
    TimeSpan IdleTimeout,
    TimeSpan PingInterval,
    TimeSpan HandshakeTimeout,
    int MaxConnectionsPerClient,
    string? TlsCertificate,
    string? TlsKey,
    string? TlsCertificatePassword,
    bool AcceptAnyBackendCertificate,
    AnalyticsSettings? Analytics = null)
{
    /// <summary>How long a connection may outlive its access token (<c>--token-expiry-grace S</c>, default 0).</summary>
    public TimeSpan TokenExpiryGrace { get; init; }

    public AnalyticsSettings AnalyticsOrDefault => Analytics ?? AnalyticsSettings.Default;

    public bool RunsControlPlane => Role is ServerRole.All or ServerRole.ControlPlane;
    public bool RunsGateway => Role is ServerRole.All or ServerRole.Gateway;

    public string ControlPlaneUrl => $"https://{PublicHost}:{HttpsPort}";

    public string EchoBackendUrl => $"ws://{PublicHost}:{EchoPort}/echo";

    public static ServerOptions From(IConfiguration config)
    {
        var role = (config["role"] ?? "all").ToLowerInvariant() switch
        {
            "all" => ServerRole.All,
            "control-plane" => ServerRole.ControlPlane,
            "gateway" => ServerRole.Gateway,
            var other => throw new OptionsException($"--role '{other}' is not known: use all, control-plane or gateway."),
        };
        return new ServerOptions(
            role,
            Path.GetFullPath(config["data"] ?? "data"),
            config["bind"] ?? "localhost",
            Port(config, "https-port", 9443),
            Port(config, "gateway-port", 9099),
            Port(config, "gateway-tls-port", 8099, allowZero: true),
            Port(config, "echo-port", 9098, allowZero: true),
            config["public-host"] ?? "localhost",
            TimeSpan.FromSeconds(Number(config, "backend-connect-timeout", 10, 1, 300)),
            Number(config, "max-message-bytes", 16 * 1024 * 1024, 0, long.MaxValue),
            Number(config, "max-backend-message-bytes", 16 * 1024 * 1024, 0, long.MaxValue),
            // Quiet connections are pinged every 30 s; one whose client stopped answering closes after 2 minutes.
            TimeSpan.FromSeconds(Number(config, "idle-timeout", 120, 0, 7 * 24 * 3600)),
            TimeSpan.FromSeconds(Number(config, "ping-interval", 30, 0, 3600)),
            TimeSpan.FromSeconds(Number(config, "handshake-timeout", 10, 1, 300)),
            (int)Number(config, "max-connections-per-client", 1000, 0, 1_000_000),
            config["tls-cert"],
            config["tls-key"],
            config["tls-cert-password"],
            Flag(config, "backend-accept-any-certificate"),
            new AnalyticsSettings(
                (config["analytics"] ?? "on").ToLowerInvariant() switch
                {
                    "on" or "true" => true,
                    "off" or "false" => false,
                    var other => throw new OptionsException($"--analytics '{other}' is not known: use on or off."),
                },
                TimeSpan.FromMilliseconds(Number(config, "analytics-flush-ms", 10_000, 50, 600_000)),
                TimeSpan.FromDays(Number(config, "analytics-retention-days", 30, 1, 3650)),
                Port(config, "metrics-port", 0, allowZero: true),
                (config["log-format"] ?? "text").ToLowerInvariant() switch
                {
                    "text" => false,
                    "json" => true,
                    var other => throw new OptionsException($"--log-format '{other}' is not known: use text or json."),
                },
                TimeSpan.FromDays(Number(config, "analytics-daily-retention-days", 400, 1, 36500))))
        {
            TokenExpiryGrace = TimeSpan.FromSeconds(Number(config, "token-expiry-grace", 0, 0, 3600)),
        };
    }

    private static bool Flag(IConfiguration config, string key) => config[key] switch
    {
        null or "false" or "0" => false,
        "true" or "1" or "" => true,
        var other => throw new OptionsException($"--{key} '{other}' is not valid: use true or false."),
    };

    private static int Port(IConfiguration config, string key, int fallback, bool allowZero = false)
    {
        var value = config[key];
        if (value is null)
            return fallback;
        if (!int.TryParse(value, out var port) || port > 65535 || port < (allowZero ? 0 : 1))
            throw new OptionsException($"--{key} '{value}' is not a port: use a number from {(allowZero ? 0 : 1)} to 65535{(allowZero ? " (0 turns it off)" : "")}.");
        return port;
    }

    private static long Number(IConfiguration config, string key, long fallback, long min, long max)
    {
        var value = config[key];
        if (value is null)
            return fallback;
        if (!long.TryParse(value, out var n) || n < min || n > max)
            throw new OptionsException($"--{key} '{value}' is not valid: use a whole number from {min} to {max}.");
        return n;
    }
}

/// <summary>Analytics, metrics and log settings.</summary>
/// <param name="MetricsPort">A plain-HTTP port answering <c>GET /metrics</c> without a token (0 = none; the control plane's /metrics needs an admin token).</param>
internal sealed record AnalyticsSettings(bool Enabled, TimeSpan FlushInterval, TimeSpan Retention, int MetricsPort, bool JsonLogs, TimeSpan DailyRetention)
{
    public static readonly AnalyticsSettings Default = new(true, TimeSpan.FromSeconds(10), TimeSpan.FromDays(30), 0, false, TimeSpan.FromDays(400));
}

internal sealed class OptionsException(string message) : Exception(message);
