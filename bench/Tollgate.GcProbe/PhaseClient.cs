using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

/// <summary>
/// The harness's connect scenario, timed phase by phase: WORKERS clients connect, upgrade, echo 64 B and close in a loop,
/// and each connection's timestamps go to a file, one line per connection (Stopwatch ticks, the monotonic clock that
/// <c>perf record -k CLOCK_MONOTONIC</c> also uses): local port, start, TCP connected, 101 read, echo read, closed.
/// </summary>
internal static class PhaseClient
{
    public static async Task<int> RunAsync(Uri url, string token, double seconds, string output, int workers)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var lines = new ConcurrentQueue<string>();
        var payload = new byte[64];
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[1024];
            while (Stopwatch.GetTimestamp() < until)
            {
                int port = 0;
                long connected = 0;
                // A handler per connection, so its connect callback can note when the TCP connection stood and its port.
                using var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (context, ct) =>
                    {
                        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                        connected = Stopwatch.GetTimestamp();
                        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                        return new NetworkStream(socket, ownsSocket: true);
                    },
                };
                using var http = new HttpMessageInvoker(handler);
                var start = Stopwatch.GetTimestamp();
                using var ws = new ClientWebSocket();
                if (token.Length > 0)
                    ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
                await ws.ConnectAsync(url, http, default);
                var upgraded = Stopwatch.GetTimestamp();
                await ws.SendAsync(payload, WebSocketMessageType.Binary, true, default);
                await ws.ReceiveAsync(buffer, default);
                var echoed = Stopwatch.GetTimestamp();
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
                lines.Enqueue($"{port} {start} {connected} {upgraded} {echoed} {Stopwatch.GetTimestamp()}");
            }
        })));
        await File.WriteAllLinesAsync(output, lines);
        Console.WriteLine($"{lines.Count} connections");
        return 0;
    }
}
