// Tollgate.GcProbe: what the .NET collector costs the gateway under a connect load (EventPipe from code).
//
//   dotnet run -c Release -- alloc PID SECONDS
//       bytes allocated by type (GCAllocationTick samples) and the stop-the-world pauses, while another load runs
//   dotnet run -c Release -- pauses PID URL TOKEN SECONDS [WORKERS]
//       WORKERS (16) clients connect, echo 64 B and close in a loop, as the harness's connect scenario does; each
//       connection's start and end are matched against the server's GC pauses (same monotonic clock), to tell how
//       much of the tail the pauses make. PID 0 measures the clients only (for nginx).
//   dotnet run -c Release -- phases URL TOKEN SECONDS OUT [WORKERS]
//       the same clients, each connection's phases written to OUT (see PhaseClient.cs; tail-attribution.py reads it)
#pragma warning disable CS0618 // TimeStampQPC: the raw monotonic clock, the one Stopwatch reads, is what the matching needs
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Net.WebSockets;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

if (args.Length < 3 || args[0] is not ("alloc" or "pauses" or "phases"))
{
    Console.Error.WriteLine("usage: alloc PID SECONDS | pauses PID URL TOKEN SECONDS [WORKERS] | phases URL TOKEN SECONDS OUT [WORKERS]");
    return 2;
}
if (args[0] == "phases")
    return await PhaseClient.RunAsync(new Uri(args[1]), args[2], double.Parse(args[3]), args[4], args.Length > 5 ? int.Parse(args[5]) : 16);
var pid = int.Parse(args[1]);
var pauses = new List<(long Start, long End, int Gen)>();
var allocated = new Dictionary<string, long>();
var verbose = args[0] == "alloc";
EventPipeSession? session = null;
var processing = Task.CompletedTask;
if (pid > 0)
{
    var keywords = (long)ClrTraceEventParser.Keywords.GC;
    session = new DiagnosticsClient(pid).StartEventPipeSession(
        [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", verbose ? EventLevel.Verbose : EventLevel.Informational, keywords)], false);
    var source = new EventPipeEventSource(session.EventStream);
    long suspendedAt = 0;
    var gen = 0;
    source.Clr.GCStart += e => gen = e.Depth;
    source.Clr.GCSuspendEEStart += e => suspendedAt = e.TimeStampQPC;
    var heapStats = Environment.GetEnvironmentVariable("GCPROBE_HEAPSTATS") == "1";
    source.Clr.GCRestartEEStop += e =>
    {
        lock (pauses) pauses.Add((suspendedAt, e.TimeStampQPC, gen));
        if (heapStats)
            Console.WriteLine($"  paused {(e.TimeStampQPC - suspendedAt) * 1000.0 / Stopwatch.Frequency:0.000} ms");
    };
    if (heapStats)
        source.Clr.GCHeapStats += e => Console.WriteLine(
            $"gc gen{gen} promoted0 {e.TotalPromotedSize0 / 1024} KB promoted1 {e.TotalPromotedSize1 / 1024} KB gen0 {e.GenerationSize0 / 1024} KB gen1 {e.GenerationSize1 / 1024} KB gen2 {e.GenerationSize2 / 1048576} MB loh {e.GenerationSize3 / 1048576} MB finalization-promoted {e.FinalizationPromotedCount} pinned {e.PinnedObjectCount} handles {e.GCHandleCount} sinkblocks {e.SinkBlockCount}");
    source.Clr.GCAllocationTick += e =>
    {
        var name = e.AllocationKind == Microsoft.Diagnostics.Tracing.Parsers.Clr.GCAllocationKind.Large ? "(LOH) " + e.TypeName : e.TypeName;
        lock (allocated) allocated[name] = allocated.GetValueOrDefault(name) + e.AllocationAmount64;
    };
    processing = Task.Run(source.Process);
    await Task.Delay(500); // the session is live before the measured window
}

double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
var connections = new List<(long Start, long End)>();
if (args[0] == "alloc")
{
    await Task.Delay(TimeSpan.FromSeconds(double.Parse(args[2])));
}
else
{
    var url = new Uri(args[2]);
    var token = args[3];
    var until = Stopwatch.GetTimestamp() + (long)(double.Parse(args[4]) * Stopwatch.Frequency);
    var workers = args.Length > 5 ? int.Parse(args[5]) : 16;
    using var http = new HttpMessageInvoker(new SocketsHttpHandler());
    var payload = new byte[64];
    await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
    {
        var buffer = new byte[1024];
        var mine = new List<(long, long)>();
        while (Stopwatch.GetTimestamp() < until)
        {
            var start = Stopwatch.GetTimestamp();
            using var ws = new ClientWebSocket();
            ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
            await ws.ConnectAsync(url, http, default);
            await ws.SendAsync(payload, WebSocketMessageType.Binary, true, default);
            await ws.ReceiveAsync(buffer, default);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
            mine.Add((start, Stopwatch.GetTimestamp()));
        }
        lock (connections)
            connections.AddRange(mine);
    })));
}
session?.Stop();
await processing;

foreach (var group in pauses.GroupBy(p => p.Gen).OrderBy(g => g.Key))
    Console.WriteLine($"gen {group.Key}: {group.Count()} pauses, avg {group.Average(p => Ms(p.End - p.Start)):0.00} ms, max {group.Max(p => Ms(p.End - p.Start)):0.00} ms");
if (args[0] == "alloc")
{
    var total = allocated.Values.Sum();
    Console.WriteLine($"allocated (sampled) {total / 1e6:0.0} MB");
    foreach (var (type, bytes) in allocated.OrderByDescending(a => a.Value).Take(40))
        Console.WriteLine($"{bytes * 100.0 / total,5:0.0}% {bytes / 1e6,7:0.0} MB  {type}");
    return 0;
}

double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
bool Overlaps((long Start, long End) c) => pauses.Any(p => p.Start < c.End && p.End > c.Start);
var all = connections.Select(c => (Us: Ms(c.End - c.Start) * 1000, Hit: Overlaps(c))).OrderBy(x => x.Us).ToList();
var every = all.Select(x => x.Us).ToList();
var clear = all.Where(x => !x.Hit).Select(x => x.Us).ToList();
var hit = all.Where(x => x.Hit).Select(x => x.Us).ToList();
Console.WriteLine($"{all.Count} connections: p50 {P(every, .5):0} µs, p90 {P(every, .9):0}, p99 {P(every, .99):0}, p99.9 {P(every, .999):0}");
if (pid > 0)
{
    var slowest = all.Skip((int)(all.Count * .99)).ToList();
    Console.WriteLine($"overlapping a pause: {hit.Count} ({100.0 * hit.Count / Math.Max(1, all.Count):0.0} %), p50 {P(hit, .5):0} µs");
    Console.WriteLine($"overlapping none:    p50 {P(clear, .5):0} µs, p90 {P(clear, .9):0}, p99 {P(clear, .99):0}, p99.9 {P(clear, .999):0}");
    Console.WriteLine($"slowest 1 %: {slowest.Count}, of which {slowest.Count(x => x.Hit)} ({100.0 * slowest.Count(x => x.Hit) / Math.Max(1, slowest.Count):0} %) overlapped a pause");
}
return 0;
