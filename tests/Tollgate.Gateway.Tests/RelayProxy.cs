using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Listener;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// A minimal gateway: BackendConnector + upgrade + WebSocketRelay, as the real middleware does it. On the stream engine
/// the front is Kestrel (IHttpUpgradeFeature, whose upgraded stream is never a raw socket); on the loop engine it is
/// <see cref="RawUpgradeFront"/>, which hands the accepted socket itself to the relay as the gateway's transport does.
/// </summary>
internal sealed class RelayProxy : IAsyncDisposable
{
    internal static readonly string[] PassedResponseHeaders = ["Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"];
    internal static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private TestHost? _host;
    private RawUpgradeFront? _front;

    private RelayProxy(RelayEngine engine)
    {
        Engine = engine;
    }

    public RelayEngine Engine { get; }

    public Channel<IRelayConnection> Connections { get; } = Channel.CreateUnbounded<IRelayConnection>();

    public Uri WsUri(string path) => _front is not null ? _front.WsUri(path) : _host!.WsUri(path);

    public static async Task<RelayProxy> StartAsync(Uri backend, RelayOptions options, RelayEngine engine = RelayEngine.Stream)
    {
        var proxy = new RelayProxy(engine);
        var connector = new BackendConnector();
        if (engine == RelayEngine.Loop)
            proxy._front = RawUpgradeFront.Start(connector, backend, options, proxy.Connections.Writer);
        else
            proxy._host = await TestHost.StartAsync(app => app.Run(ctx => proxy.HandleAsync(ctx, connector, backend, options)));
        return proxy;
    }

    /// <summary>The client's end-to-end headers the gateway forwards to the backend, plus X-Forwarded-For.</summary>
    internal static List<KeyValuePair<string, string>> ForwardedHeaders(IEnumerable<KeyValuePair<string, string>> request, IPAddress remote)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in request)
        {
            if (name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-", StringComparison.OrdinalIgnoreCase)
                || name is "Origin" or "User-Agent" or "Cookie")
            {
                headers.Add(new(name, value));
            }
        }
        headers.Add(new("X-Forwarded-For", remote.ToString()));
        return headers;
    }

    /// <summary>The backend's request target: its endpoint path + the client's path and query.</summary>
    internal static string BackendTarget(Uri backend, string clientPathAndQuery) => backend.AbsolutePath.TrimEnd('/') + clientPathAndQuery;

    private async Task HandleAsync(HttpContext ctx, BackendConnector connector, Uri backend, RelayOptions options)
    {
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            ctx.Response.StatusCode = 400;
            return;
        }
        var headers = ForwardedHeaders(
            ctx.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v!))),
            ctx.Connection.RemoteIpAddress!);
        string pathAndQuery = BackendTarget(backend, ctx.Request.Path + ctx.Request.QueryString);

        var result = await connector.ConnectAsync(new BackendRequest(backend, pathAndQuery, headers), ConnectTimeout, ctx.RequestAborted);
        if (result.Outcome != BackendOutcome.Upgraded)
        {
            ctx.Response.StatusCode = result.Outcome == BackendOutcome.TimedOut ? 504 : 502;
            return;
        }
        foreach (var (name, value) in result.ResponseHeaders)
        {
            if (PassedResponseHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                ctx.Response.Headers.Append(name, value);
            }
        }
        ctx.Response.Headers.Upgrade = "websocket"; // Kestrel writes "101" and "Connection: Upgrade" itself
        var upgraded = await upgrade.UpgradeAsync();
        // The client side as the gateway's listener hands it to the relay: a stream over pipes, which the relay reads in
        // place. Small, odd-sized pipe segments make frames and control frames straddle segments, so the relay's
        // joining of split headers is exercised by every test here.
        var client = new TransportStream(new Pipes(
            PipeReader.Create(upgraded, new StreamPipeReaderOptions(bufferSize: 300, minimumReadSize: 100)),
            PipeWriter.Create(upgraded)));
        // Not ctx.RequestAborted: Kestrel trips it as soon as the client's TCP connection drops, which would
        // abort the relay before it can send the backend its 1001. The relay notices the drop itself.
        var connection = WebSocketRelay.Start(client, result.Stream!, result.Leftover, options, new RelayCounters(), CancellationToken.None);
        Connections.Writer.TryWrite(connection);
        await connection.Completion;
    }

    /// <summary>The next relayed connection; asserts it runs on this proxy's engine (no silent fallback).</summary>
    public async Task<IRelayConnection> NextConnectionAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var connection = await Connections.Reader.ReadAsync(cts.Token);
        RelayEngines.AssertEngine(Engine, connection);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_front is not null)
            await _front.DisposeAsync();
        if (_host is not null)
            await _host.DisposeAsync();
    }

    private sealed record Pipes(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
