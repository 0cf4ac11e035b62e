using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Gateway;
using Tollgate.Gateway.Analytics;
using Tollgate.KeyManager.Signing;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Listener;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Server.Hosting;

/// <summary>The gateway's own Kestrel (ws:// and wss:// ports), apart from the control plane's so its limits and pipeline stay minimal.</summary>
internal static class GatewayHost
{
    /// <summary>
    /// Call in Main once the options are read, before any socket exists: socket completions then run on the epoll threads
    /// instead of being queued to the thread pool, so a relayed message crosses the gateway on one thread (nginx's
    /// event-loop shape), not three. Only where nothing else in the process can block such a thread: not beside a control
    /// plane on PostgreSQL (Npgsql's continuations would then run on the few epoll threads and stalled the start-up), and
    /// not in a control-plane-only process. An explicit DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS (e.g. 0) is left as set.
    /// </summary>
    public static void TuneProcess(ServerOptions options)
    {
        const string inline = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        var safe = options.RunsGateway && !(options.RunsControlPlane && options.StoreIsPostgres);
        if (safe && Environment.GetEnvironmentVariable(inline) is null && Environment.GetEnvironmentVariable("TOLLGATE_GATEWAY_INLINE") != "0")
            Environment.SetEnvironmentVariable(inline, "1");
    }

    public static WebApplication Build(ServerOptions options, SnapshotHolder snapshots, LiveConnections live, X509Certificate2 certificate,
        SigningKeyStore? signingKeys, string issuer, AnalyticsRecorder analytics, Action<IServiceCollection>? nodeServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(HostStartOptions.For());
        LogFormat.Configure(builder.Logging, options);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The relay never blocks: run socket continuations inline instead of hopping to the thread pool per read and
        // write (TOLLGATE_GATEWAY_INLINE=0 turns it off).
        if (Environment.GetEnvironmentVariable("TOLLGATE_GATEWAY_INLINE") != "0")
            builder.WebHost.UseSockets(s => s.UnsafePreferInlineScheduling = true);
        // The gateway parses the upgrade itself and relays on the transport pipes (no HTTP request objects per connection);
        // TOLLGATE_GATEWAY_LISTENER=http falls back to Kestrel's HTTP layer.
        var listener = Environment.GetEnvironmentVariable("TOLLGATE_GATEWAY_LISTENER") == "http"
            ? null : new GatewayListenerOptions(options.HandshakeTimeout, TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(k =>
        {
            // WebSocket connections live long: Kestrel's request timeouts must not cut them, and the
            // relay applies its own idle time-out. Headers stay bounded.
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            // A client that dribbles its handshake (slowloris) is cut off; once upgraded, this no longer applies.
            k.Limits.RequestHeadersTimeout = options.HandshakeTimeout;
            k.AddServerHeader = false;
            KestrelBinding.Listen(k, options.BindAddress, options.GatewayPort, l => { if (listener is not null) l.UseTollgateGatewayListener(listener); });
            if (options.GatewayTlsPort > 0)
                KestrelBinding.Listen(k, options.BindAddress, options.GatewayTlsPort, l =>
                {
                    if (listener is not null)
                        l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1; // ALPN must never pick h2 here
                    l.UseHttps(certificate);
                    if (listener is not null)
                        l.UseTollgateGatewayListener(listener);
                });
        });
        if (listener is not null)
            builder.Services.AddGatewayMemoryPool();
        // Plain-TCP connections go to the relay loops after the handshake (TOLLGATE_RELAY_LOOPS=0: Kestrel's transport and the stream relay).
        // The loops also accept and handshake on the plain port themselves (TOLLGATE_LOOP_FRONT=0: Kestrel's accept and handler).
        if (listener is not null && Tollgate.Gateway.Relay.Loop.RelayLoops.IsEnabled)
            builder.Services.AddGatewaySocketTransport(Tollgate.Gateway.Listener.Front.LoopFrontSettings.IsEnabled
                ? new Tollgate.Gateway.Listener.Front.LoopFrontSettings(options.GatewayPort, listener) : null);
        builder.Services.AddTollgateGateway(snapshots, new GatewayOptions(
            options.BackendConnectTimeout, options.MaxClientMessageBytes, options.MaxBackendMessageBytes, options.IdleTimeout,
            options.PingInterval, options.MaxConnectionsPerClient, options.AcceptAnyBackendCertificate)
        {
            // In one process with the key manager, the gateway signs caller JWTs with the same key its JWKS publishes.
            CallerSigning = signingKeys is null ? null : new SigningCredentials(signingKeys.SigningKey, SecurityAlgorithms.RsaSha256),
            CallerIssuer = issuer,
            TokenExpiryGrace = options.TokenExpiryGrace,
            BackendNameLifetime = options.BackendDnsTtl,
        }, live, analytics);
        // A gateway-role node adds the client that follows its control plane (Program.cs).
        nodeServices?.Invoke(builder.Services);
        var app = builder.Build();
        if (options.AcceptAnyBackendCertificate)
            app.Logger.LogWarning("--backend-accept-any-certificate is on: wss:// backends' certificates are NOT checked. Use it only for test backends.");
        app.UseTollgateGateway();
        // The last counts of open connections reach the writer before the control plane stops.
        app.Lifetime.ApplicationStopped.Register(analytics.Flush);
        return app;
    }
}
