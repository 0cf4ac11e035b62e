#:property PublishAot=false
// Echo throughput through the gateway, for comparing a server with analytics on against one with --analytics off.
// Usage: dotnet run bench/analytics-overhead.cs -- <gateway ws:// URL> <access token> [connections=8] [messages per connection=5000] [rounds=3]
// Each connection sends a 64-byte text message and waits for its echo, in a loop; prints messages per second per round and the median.
using System.Diagnostics;
using System.Net.WebSockets;

var url = new Uri(args[0]);
var token = args[1];
var connections = args.Length > 2 ? int.Parse(args[2]) : 8;
var perConnection = args.Length > 3 ? int.Parse(args[3]) : 5000;
var rounds = args.Length > 4 ? int.Parse(args[4]) : 3;
var payload = new byte[64];
Array.Fill(payload, (byte)'x');

var results = new List<double>();
for (var round = 0; round <= rounds; round++) // round 0 warms up
{
    var sockets = new List<ClientWebSocket>();
    for (var i = 0; i < connections; i++)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        await ws.ConnectAsync(url, CancellationToken.None);
        sockets.Add(ws);
    }
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(sockets.Select(async ws =>
    {
        var buffer = new byte[1024];
        for (var n = 0; n < perConnection; n++)
        {
            await ws.SendAsync(payload, WebSocketMessageType.Text, true, CancellationToken.None);
            ValueWebSocketReceiveResult r;
            do r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None); while (!r.EndOfMessage);
        }
    }));
    sw.Stop();
    foreach (var ws in sockets)
    {
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        ws.Dispose();
    }
    var rate = connections * perConnection / sw.Elapsed.TotalSeconds;
    if (round > 0) results.Add(rate);
    Console.WriteLine($"{(round == 0 ? "warm-up" : $"round {round}")}: {rate:0} messages/s");
}
results.Sort();
Console.WriteLine($"median: {results[results.Count / 2]:0} messages/s");
