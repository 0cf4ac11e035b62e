using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Tollgate.ControlPlane.Analytics;
using Tollgate.ControlPlane.Cluster;
using Tollgate.Gateway.Sync;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.Cluster;

/// <summary>
/// <c>GET /api/cluster/stream</c>: one WebSocket per gateway node, authenticated by the node secret. The control plane
/// sends the whole snapshot on connect and again after every change (coalesced); the node sends heartbeats and analytics
/// batches back on the same socket. A whole snapshot per change is simplest and makes a reconnect catch up by itself.
/// </summary>
internal static class NodeStreamEndpoint
{
    /// <summary>Heartbeats and analytics batches are small; anything larger is not from a Tollgate node.</summary>
    private const int MaxNodeMessageBytes = 16 * 1024 * 1024;

    public static void MapNodeStream(this IEndpointRouteBuilder app)
    {
        app.MapGet(NodeMessages.StreamPath, async (HttpContext http, NodeSecretVerifier verifier, NodeStreamHub hub, GatewayNodeService nodes,
            AnalyticsStore analytics, ServerOptions options, IHostApplicationLifetime lifetime, ILoggerFactory loggers) =>
        {
            if (!verifier.Enabled)
                return Results.Problem(statusCode: 403, title: "Gateway nodes are not accepted",
                    detail: "This control plane was started without --node-secret (or TOLLGATE_NODE_SECRET), so it accepts no gateway node. Start it with the same secret as the nodes.");
            if (!verifier.IsValid(http))
            {
                http.Response.Headers.WWWAuthenticate = NodeSecretVerifier.Scheme;
                return Results.Problem(statusCode: 401, title: "Unknown node",
                    detail: "Send Authorization: Node <secret> with the secret this control plane was started with (--node-secret).");
            }
            if (!http.WebSockets.IsWebSocketRequest)
                return Results.Problem(statusCode: 400, title: "Not a WebSocket request",
                    detail: "The cluster stream is a WebSocket: connect with a WebSocket client (Upgrade: websocket).");
            using var ws = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = TimeSpan.FromSeconds(5),
                KeepAliveTimeout = TimeSpan.FromSeconds(10),
            });
            var logger = loggers.CreateLogger("Tollgate.Cluster");
            var address = http.Connection.RemoteIpAddress?.ToString() ?? "";
            await new NodeSession(ws, hub, nodes, analytics, $"{Environment.MachineName}:{options.HttpsPort}", address, logger)
                .RunAsync(http.RequestAborted, lifetime.ApplicationStopping);
            return Results.Empty;
        }).AllowAnonymous();
    }

    private sealed class NodeSession(WebSocket ws, NodeStreamHub hub, GatewayNodeService nodes, AnalyticsStore analytics,
        string controlPlane, string address, ILogger logger)
    {
        private string _node = "(not yet named)";

        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public async Task RunAsync(CancellationToken aborted, CancellationToken stopping)
        {
            var signal = hub.Join();
            using var session = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            logger.LogInformation("Gateway node connected from {Address}", address);
            var send = SendAsync(signal, session.Token);
            var receive = ReceiveAsync(session.Token);
            // Never faults: completes when this control plane is stopping.
            var stopped = Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                // On shutdown the node is told at once (1001), so it reconnects (perhaps to another control plane) without waiting for a time-out.
                if (await Task.WhenAny(send, receive, stopped) == stopped)
                {
                    await SayGoodbyeAsync();
                    await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(1))); // the node's close answer
                }
            }
            finally
            {
                session.Cancel();
                try { await Task.WhenAll(send, receive); }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException) { }
                catch (Exception e)
                {
                    logger.LogWarning(e, "The stream of gateway node {Node} failed", _node);
                }
                hub.Leave(signal);
                logger.LogInformation("Gateway node {Node} ({Address}) disconnected", _node, address);
            }
        }

        private async Task SayGoodbyeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "control plane stopping", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException) { }
        }

        private async Task SendAsync(SemaphoreSlim signal, CancellationToken ct)
        {
            long sent = -1;
            while (!ct.IsCancellationRequested)
            {
                var (version, bytes) = hub.Current();
                if (version != sent)
                {
                    await _sendLock.WaitAsync(ct);
                    try
                    {
                        await ws.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
                    }
                    finally
                    {
                        _sendLock.Release();
                    }
                    sent = version;
                }
                await signal.WaitAsync(ct);
            }
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            var buffer = new ArrayBufferWriter<byte>(16 * 1024);
            while (!ct.IsCancellationRequested)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await ws.ReceiveAsync(buffer.GetMemory(16 * 1024), ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await _sendLock.WaitAsync(ct);
                        try
                        {
                            if (ws.State == WebSocketState.CloseReceived)
                                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
                        }
                        finally
                        {
                            _sendLock.Release();
                        }
                        return;
                    }
                    buffer.Advance(result.Count);
                    if (buffer.WrittenCount > MaxNodeMessageBytes)
                    {
                        logger.LogWarning("Gateway node {Node} sent a message over {Max} bytes: stream closed", _node, MaxNodeMessageBytes);
                        return; // the session ends and the socket is dropped
                    }
                } while (!result.EndOfMessage);
                await HandleAsync(buffer.WrittenMemory, ct);
            }
        }

        private async Task HandleAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
        {
            try
            {
                using var doc = JsonDocument.Parse(message);
                switch (NodeMessages.TypeOf(doc))
                {
                    case NodeMessages.Heartbeat when NodeMessages.ReadHeartbeat(doc) is { Node.Length: > 0 } h:
                        if (_node != h.Node)
                            logger.LogInformation("Gateway node {Node} (Tollgate {Version}) at {Address} follows this control plane", h.Node, h.TollgateVersion, address);
                        _node = h.Node;
                        await nodes.RecordAsync(new GatewayNodeReport(h.Node, h.TollgateVersion, h.SnapshotVersion, h.OpenConnections,
                            DateTime.SpecifyKind(h.StartedAt, DateTimeKind.Utc), controlPlane, address), ct);
                        break;
                    case NodeMessages.Analytics when NodeMessages.ReadAnalytics(doc) is { } batch:
                        await analytics.WriteAsync(batch, ct);
                        break;
                    default:
                        logger.LogWarning("Gateway node {Node} sent a message this control plane does not know; ignored", _node);
                        break;
                }
            }
            catch (JsonException e)
            {
                logger.LogWarning("Gateway node {Node} sent a malformed message ({Error}); ignored", _node, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is briefly unavailable: the node keeps serving; its heartbeat comes again in 2 s.
                logger.LogWarning(e, "Could not record a message of gateway node {Node}", _node);
            }
        }
    }
}
