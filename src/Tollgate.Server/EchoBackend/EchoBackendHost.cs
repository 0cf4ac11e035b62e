using System.Net.WebSockets;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.EchoBackend;

/// <summary>
/// The sample backend the tutorial uses (the seed's public echo server is gone): it echoes every
/// message back, honours a subprotocol the client offers, and echoes the close code.
/// </summary>
internal static class EchoBackendHost
{
    public static WebApplication Build(ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(HostStartOptions.For());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => KestrelBinding.Listen(k, options.BindAddress, options.EchoPort, _ => { }));
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Map("/echo", async http =>
        {
            if (!http.WebSockets.IsWebSocketRequest)
            {
                http.Response.StatusCode = 426;
                await http.Response.WriteAsync("This is a WebSocket echo endpoint: connect with ws://.\n");
                return;
            }
            var protocol = http.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
            using var socket = await http.WebSockets.AcceptWebSocketAsync(protocol);
            await EchoAsync(socket, http.RequestAborted);
        });
        return app;
    }

    private static async Task EchoAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, ct);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer went away; nothing to echo to.
        }
    }
}
