using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// The backend: a Kestrel WebSocket echo server. Text commands: "die" aborts the TCP connection,
/// "close:CODE:REASON" starts a close. Path /silent accepts and then never reads (back-pressure).
/// </summary>
internal sealed class EchoBackend : IAsyncDisposable
{
    private TestHost _host = null!;

    /// <summary>Close status the echo handler received, and the request it saw.</summary>
    public TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> ReceivedClose { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<HttpRequest> Request { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Endpoint => _host.WsUri("/");

    public static async Task<EchoBackend> StartAsync()
    {
        var backend = new EchoBackend();
        backend._host = await TestHost.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Run(backend.HandleAsync);
        });
        return backend;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }
        Request.TrySetResult(ctx.Request);
        string? protocol = ctx.WebSockets.WebSocketRequestedProtocols.Contains("superchat") ? "superchat" : null;
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = protocol,
            DangerousEnableCompression = true,
        });
        try
        {
            if (ctx.Request.Path.StartsWithSegments("/silent"))
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                return;
            }
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, ctx.RequestAborted);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    ReceivedClose.TrySetResult((r.CloseStatus, r.CloseStatusDescription));
                    await ws.CloseOutputAsync((WebSocketCloseStatus)4002, "backend bye", default);
                    return;
                }
                if (r.MessageType == WebSocketMessageType.Text && r.EndOfMessage)
                {
                    string text = Encoding.UTF8.GetString(buffer, 0, r.Count);
                    if (text == "die")
                    {
                        ctx.Abort();
                        return;
                    }
                    if (text.StartsWith("close:", StringComparison.Ordinal))
                    {
                        var parts = text.Split(':', 3);
                        await ws.CloseAsync((WebSocketCloseStatus)int.Parse(parts[1]), parts[2], default);
                        return;
                    }
                }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ctx.RequestAborted);
            }
        }
        catch (Exception) when (!ReceivedClose.Task.IsCompleted)
        {
            ReceivedClose.TrySetResult((null, "connection lost"));
        }
        catch (Exception)
        {
        }
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
