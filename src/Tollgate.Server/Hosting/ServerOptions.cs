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
    /// <summary>How long a backend host name's addresses are kept before it is resolved again (<c>--backend-dns-ttl S</c>, default 10; 0: every connection).</summary>
    public TimeSpan BackendDnsTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection may outlive its access token (<c>--token-expiry-grace S</c>, default 0).</summary>
    public TimeSpan TokenExpiryGrace { get; init; }

    /// <summary>
    /// The control plane's store (<c>--store</c> or <c>TOLLGATE_STORE</c>): a PostgreSQL connection string
    /// (<c>Host=…;Database=…;Username=…;Password=…</c>) or a SQLite file path; default <c>DATA/tollgate.db</c>.
    /// </summary>
    public string Store { get; init; } = "";

    /// <summary>True when <see cref="Store"/> is a PostgreSQL connection string rather than a SQLite path.</summary>
    public bool StoreIsPostgres => IsPostgresConnectionString(Store);

    /// <summary>The control plane a gateway-role process follows (<c>--control-plane https://host:9443</c>).</summary>
    public Uri? ControlPlane { get; init; }

    /// <summary>
    /// The secret shared by the control plane and its gateway nodes (<c>--node-secret</c> or <c>TOLLGATE_NODE_SECRET</c>).
    /// A control plane without one accepts no gateway node; a gateway node must have one.
    /// </summary>
    public string? NodeSecret { get; init; }

    /// <summary>How this gateway node is named in the Admin portal (<c>--node-name</c>; default host name and gateway port).</summary>
    public string NodeName { get; init; } = "";

    /// <summary>Accept a control plane whose TLS certificate is not trusted (<c>--control-plane-accept-any-certificate</c>; the generated one is self-signed).</summary>
    public bool AcceptAnyControlPlaneCertificate { get; init; }

    public AnalyticsSettings AnalyticsOrDefault => Analytics ?? AnalyticsSettings.Default;

    public bool RunsControlPlane => Role is ServerRole.All or ServerRole.ControlPlane;
    public bool RunsGateway => Role is ServerRole.All or ServerRole.Gateway;

    public string ControlPlaneUrl => $"https://{PublicHost}:{HttpsPort}";

    /// <summary>
    /// The <c>iss</c> of the tokens this control plane issues and accepts (<c>--issuer URL</c>; default the control plane's
    /// URL). Control planes that share one PostgreSQL store behind a load balancer should use the same one, so each accepts
    /// the others' tokens and every gateway node trusts them all.
    /// </summary>
    public string? IssuerOverride { get; init; }

    public string Issuer => IssuerOverride ?? ControlPlaneUrl;

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
        var data = Path.GetFullPath(config["data"] ?? "data");
        var store = config["store"] is { Length: > 0 } s ? s.Trim() : Path.Combine(data, "tollgate.db");
        if (!IsPostgresConnectionString(store))
            store = Path.GetFullPath(store);
        Uri? controlPlane = null;
        if (config["control-plane"] is { Length: > 0 } cp)
        {
            if (!Uri.TryCreate(cp, UriKind.Absolute, out controlPlane) || controlPlane.Scheme is not ("https" or "http"))
                throw new OptionsException($"--control-plane '{cp}' is not a URL: use the control plane's address, e.g. https://cp.example.com:9443.");
            // The node secret and the whole configuration travel on this connection: plain http only on loopback.
            if (controlPlane.Scheme == "http" && !controlPlane.IsLoopback)
                throw new OptionsException($"--control-plane '{cp}' is plain http to another machine: use https, the node secret and the configuration must not cross the network in clear.");
        }
        var nodeSecret = config["node-secret"] is { Length: > 0 } ns ? ns : null;
        if (nodeSecret is { Length: < 16 })
            throw new OptionsException("--node-secret is too short: use at least 16 characters (e.g. the output of `openssl rand -hex 32`).");
        if (role == ServerRole.Gateway && controlPlane is null)
            throw new OptionsException("--role gateway needs --control-plane URL: the control plane this gateway follows, e.g. --control-plane https://localhost:9443.");
        if (role == ServerRole.Gateway && nodeSecret is null)
            throw new OptionsException("--role gateway needs --node-secret (or TOLLGATE_NODE_SECRET): the secret the control plane was started with.");
        var gatewayPort = Port(config, "gateway-port", 9099);
        return new ServerOptions(
            role,
            data,
            config["bind"] ?? "localhost",
            Port(config, "https-port", 9443),
            gatewayPort,
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
            BackendDnsTtl = TimeSpan.FromSeconds(Number(config, "backend-dns-ttl", 10, 0, 3600)),
            Store = store,
            ControlPlane = controlPlane,
            NodeSecret = nodeSecret,
            NodeName = config["node-name"] is { Length: > 0 } name ? name : $"{Environment.MachineName}:{gatewayPort}",
            AcceptAnyControlPlaneCertificate = Flag(config, "control-plane-accept-any-certificate"),
            IssuerOverride = ReadIssuer(config),
        };
    }

    private static string? ReadIssuer(IConfiguration config)
    {
        if (config["issuer"] is not { Length: > 0 } issuer)
            return null;
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme != "https" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new OptionsException($"--issuer '{issuer}' is not valid: use an https URL without query or fragment, e.g. https://api.example.com (RFC 8414).");
        return issuer.TrimEnd('/');
    }

    /// <summary>A PostgreSQL connection string names its host (<c>Host=</c> or <c>Server=</c>); anything else is a SQLite path.</summary>
    public static bool IsPostgresConnectionString(string store) =>
        store.Contains('=') && (store.Contains("Host=", StringComparison.OrdinalIgnoreCase) || store.Contains("Server=", StringComparison.OrdinalIgnoreCase));

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
