using System.Net;
using System.Net.WebSockets;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests.Analytics;

/// <summary>A loopback WebSocket backend that echoes, and on the text message "close" closes with 4001 "backend done".</summary>
public sealed class ClosingBackend : IAsyncDisposable
{
    public const int CloseCode = 4001;
    public const string CloseReason = "backend done";

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ClosingBackend()
    {
        Port = FreePorts.Take();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                _ = Task.Run(() => HandleAsync(ctx));
            }
        });
    }

    public int Port { get; }
    public string Endpoint => $"ws://127.0.0.1:{Port}/closing";

    private static async Task HandleAsync(HttpListenerContext ctx)
    {
        if (!ctx.Request.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 426;
            ctx.Response.Close();
            return;
        }
        try
        {
            var wsCtx = await ctx.AcceptWebSocketAsync(null, TimeSpan.Zero);
            using var ws = wsCtx.WebSocket;
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, CancellationToken.None);
                    return;
                }
                if (r.MessageType == WebSocketMessageType.Text && Encoding.UTF8.GetString(buffer, 0, r.Count) == "close")
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await ws.CloseAsync((WebSocketCloseStatus)CloseCode, CloseReason, cts.Token);
                    return;
                }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        }
        catch (Exception)
        {
            // The peer went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Close();
        try { await _loop; } catch { }
    }
}
