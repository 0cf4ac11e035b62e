using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Listener;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>A minimal gateway: BackendConnector + IHttpUpgradeFeature + WebSocketRelay, as the real middleware will do it.</summary>
internal sealed class RelayProxy : IAsyncDisposable
{
    private static readonly string[] PassedResponseHeaders = ["Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"];
    private TestHost _host = null!;

    public Channel<IRelayConnection> Connections { get; } = Channel.CreateUnbounded<IRelayConnection>();

    public Uri WsUri(string path) => _host.WsUri(path);

    public static async Task<RelayProxy> StartAsync(Uri backend, RelayOptions options)
    {
        var proxy = new RelayProxy();
        var connector = new BackendConnector();
        proxy._host = await TestHost.StartAsync(app => app.Run(ctx => proxy.HandleAsync(ctx, connector, backend, options)));
        return proxy;
    }

    private async Task HandleAsync(HttpContext ctx, BackendConnector connector, Uri backend, RelayOptions options)
    {
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            ctx.Response.StatusCode = 400;
            return;
        }
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in ctx.Request.Headers)
        {
            if (name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-", StringComparison.OrdinalIgnoreCase)
                || name is "Origin" or "User-Agent" or "Cookie")
            {
                foreach (var value in values)
                {
                    headers.Add(new(name, value!));
                }
            }
        }
        headers.Add(new("X-Forwarded-For", ctx.Connection.RemoteIpAddress!.ToString()));
        string pathAndQuery = backend.AbsolutePath.TrimEnd('/') + ctx.Request.Path + ctx.Request.QueryString;

        var result = await connector.ConnectAsync(new BackendRequest(backend, pathAndQuery, headers), TimeSpan.FromSeconds(5), ctx.RequestAborted);
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

    public async Task<IRelayConnection> NextConnectionAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await Connections.Reader.ReadAsync(cts.Token);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed record Pipes(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
