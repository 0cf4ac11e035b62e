using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A WebSocket backend on a loopback port (HttpListener) that answers each connection with one JSON
/// text message describing the handshake it received (path, query, Origin, subprotocol, Authorization),
/// then echoes messages and echoes the client's close code and reason.
/// </summary>
public sealed class InspectBackend : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public InspectBackend()
    {
        Port = FreePorts.Take();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }
    public string Endpoint => $"ws://127.0.0.1:{Port}/inspect";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        try
        {
            if (!ctx.Request.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 426;
                ctx.Response.Close();
                return;
            }
            var offered = (ctx.Request.Headers["Sec-WebSocket-Protocol"] ?? "")
                .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var chosen = offered.FirstOrDefault();
            var wsCtx = await ctx.AcceptWebSocketAsync(chosen);
            using var ws = wsCtx.WebSocket;
            var report = JsonSerializer.Serialize(new
            {
                path = ctx.Request.Url!.AbsolutePath,
                query = ctx.Request.Url!.Query,
                origin = ctx.Request.Headers["Origin"],
                offeredProtocols = offered,
                protocol = chosen,
                authorization = ctx.Request.Headers["Authorization"],
                headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => ctx.Request.Headers[k]),
            });
            await ws.SendAsync(Encoding.UTF8.GetBytes(report), WebSocketMessageType.Text, true, _stop.Token);

            await WebSocketEcho.RunAsync(ws, 16 * 1024, _stop.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpListenerException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        _stop.Dispose();
    }
}
