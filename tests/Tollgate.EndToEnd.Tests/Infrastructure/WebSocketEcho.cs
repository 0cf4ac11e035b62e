using System.Net.WebSockets;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>The test backends' echo: every message back as it came (type and fragments), a close answered with the same code and reason.</summary>
internal static class WebSocketEcho
{
    public static async Task RunAsync(WebSocket ws, int bufferSize, CancellationToken stop)
    {
        var buffer = new byte[bufferSize];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, stop);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, stop);
                return;
            }
            await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, stop);
        }
    }
}
