// Gateway benchmark, two comparisons side by side in one run, interleaved rounds (A B B A ...) so drift and warm-up
// hit both alike:
//   --compare throttling (default): throttling off (Unlimited plan, no API policy) against throttling on but never
//     triggered (a plan with a rate, a quota and a connection limit far above the load), on one server;
//   --compare analytics: a server with analytics on (the default) against one started with --analytics off.
//
//   dotnet build -c Release src/Tollgate.Server && dotnet run -c Release --project bench/Tollgate.Bench -- [--compare throttling|analytics] [--rounds 6] [--seconds 4] [--connections 8] [--window 64] [--size 64]
//
// Starts its own servers on free loopback ports with temporary data folders and kills them (by their pid) at the end.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

var opts = Args.Parse(args);
var root = FindRoot();
var dll = Path.Combine(root, "src", "Tollgate.Server", "bin", opts.Configuration, "net10.0", "Tollgate.Server.dll");
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"{dll} is missing: dotnet build -c {opts.Configuration} src/Tollgate.Server");
    return 2;
}
const string password = "Bench-password-1";
var servers = new List<BenchServer>();
try
{
    (Uri Url, string Token) off, on;
    string offLabel, onLabel;
    if (opts.Compare == "analytics")
    {
        // Analytics are per process: one server with them (the default), one with --analytics off; both Unlimited.
        var withAnalytics = await BenchServer.StartAsync(dll, password, []);
        servers.Add(withAnalytics);
        var without = await BenchServer.StartAsync(dll, password, ["--analytics", "off"]);
        servers.Add(without);
        on = await withAnalytics.SetupAsync("Unlimited");
        off = await without.SetupAsync("Unlimited");
        (offLabel, onLabel) = ("analytics off (--analytics off)", "analytics on (default)");
    }
    else
    {
        var server = await BenchServer.StartAsync(dll, password, []);
        servers.Add(server);
        // Throttling on, never triggered: every kind of limit is checked on every message, both directions.
        await server.PostAsync("api/admin/plans", new
        {
            name = "BenchHigh", action = "shape", maxConnections = 100_000,
            limits = new object[] { new { events = 1_000_000_000, per = "second", bytes = 1_000_000_000_000 }, new { events = 1_000_000_000_000, per = "day" } },
        });
        off = await server.SetupAsync("Unlimited");
        on = await server.SetupAsync("BenchHigh");
        (offLabel, onLabel) = ("throttling off (Unlimited)", "throttling on, not triggered");
    }
    await Task.Delay(500); // snapshot

    Console.WriteLine($"compare={opts.Compare} connections={opts.Connections} window={opts.Window} size={opts.Size}B seconds/round={opts.Seconds} rounds={opts.Rounds} (per mode)");
    await Measure(off, TimeSpan.FromSeconds(2), opts); // warm-up, not counted
    await Measure(on, TimeSpan.FromSeconds(2), opts);
    var results = new Dictionary<string, List<double>> { ["off"] = [], ["on"] = [] };
    for (int round = 0; round < opts.Rounds; round++)
    {
        var order = round % 2 == 0 ? new[] { "off", "on" } : new[] { "on", "off" };
        foreach (var mode in order)
        {
            var rate = await Measure(mode == "off" ? off : on, TimeSpan.FromSeconds(opts.Seconds), opts);
            results[mode].Add(rate);
            Console.WriteLine($"round {round + 1} {mode,-3} {rate,12:N0} msg/s");
        }
    }
    double offMedian = Median(results["off"]), onMedian = Median(results["on"]);
    Console.WriteLine($"{offLabel,-35} median {offMedian,12:N0} msg/s  mean {results["off"].Average(),12:N0}");
    Console.WriteLine($"{onLabel,-35} median {onMedian,12:N0} msg/s  mean {results["on"].Average(),12:N0}");
    Console.WriteLine($"ratio on/off (median) {onMedian / offMedian:P1}   (mean) {results["on"].Average() / results["off"].Average():P1}");
    return 0;
}
finally
{
    foreach (var server in servers)
        server.Dispose();
}

// Echo round trips per second (each is one message each way through the gateway) over all connections,
// each keeping `window` messages in flight.
static async Task<double> Measure((Uri Url, string Token) target, TimeSpan duration, Args opts)
{
    var sockets = new List<ClientWebSocket>();
    for (int i = 0; i < opts.Connections; i++)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Bearer {target.Token}");
        await ws.ConnectAsync(target.Url, CancellationToken.None);
        sockets.Add(ws);
    }
    long total = 0;
    var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(sockets.Select(ws => Task.Run(async () =>
    {
        var payload = new byte[opts.Size];
        var buffer = new byte[Math.Max(opts.Size, 1024) * 2];
        var credits = new SemaphoreSlim(opts.Window, opts.Window);
        bool stopping = false;
        var sender = Task.Run(async () =>
        {
            while (!Volatile.Read(ref stopping))
            {
                await credits.WaitAsync();
                if (Volatile.Read(ref stopping)) break;
                await ws.SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
        });
        long received = 0;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (r.EndOfMessage)
            {
                received++;
                credits.Release();
            }
        }
        Volatile.Write(ref stopping, true);
        credits.Release();
        await sender;
        Interlocked.Add(ref total, received);
    })));
    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    foreach (var ws in sockets)
    {
        ws.Abort();
        ws.Dispose();
    }
    await Task.Delay(200);
    return total / seconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx")))
            return dir.FullName;
    throw new InvalidOperationException("run from inside the repository");
}

internal sealed record Args(int Rounds, int Seconds, int Connections, int Window, int Size, string Configuration, string Compare)
{
    public static Args Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var compare = Get("--compare") ?? "throttling";
        if (compare is not ("throttling" or "analytics"))
            throw new ArgumentException($"--compare '{compare}': use throttling or analytics");
        return new Args(int.Parse(Get("--rounds") ?? "6"), int.Parse(Get("--seconds") ?? "4"), int.Parse(Get("--connections") ?? "8"),
            int.Parse(Get("--window") ?? "64"), int.Parse(Get("--size") ?? "64"), Get("--configuration") ?? "Release", compare);
    }
}

/// <summary>One server process on free loopback ports with a temporary data folder, killed (by its pid) at the end.</summary>
internal sealed class BenchServer : IDisposable
{
    private readonly Process _process;
    private readonly string _data;
    private readonly int[] _ports;

    private BenchServer(Process process, string data, int[] ports, HttpClient http)
    {
        _process = process;
        _data = data;
        _ports = ports;
        Http = http;
    }

    public HttpClient Http { get; }

    public static async Task<BenchServer> StartAsync(string dll, string password, string[] extra)
    {
        var ports = FreePorts(3);
        var data = Path.Combine(Path.GetTempPath(), "tollgate-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--data", data, "--https-port", ports[0].ToString(), "--gateway-port", ports[1].ToString(), "--gateway-tls-port", "0", "--echo-port", ports[2].ToString() }.Concat(extra))
            psi.ArgumentList.Add(a);
        psi.Environment["TOLLGATE_ADMIN_PASSWORD"] = password;
        psi.Environment["Logging__LogLevel__Default"] = "Warning"; // no access-log line per connection in the measurement
        var process = Process.Start(psi)!;
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("Tollgate is ready") == true) ready.TrySetResult(); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        { BaseAddress = new Uri($"https://127.0.0.1:{ports[0]}/") };
        var server = new BenchServer(process, data, ports, http);
        try
        {
            if (await Task.WhenAny(ready.Task, Task.Delay(60_000)) != ready.Task)
                throw new InvalidOperationException("server did not start");
            var tokenAnswer = await http.PostAsync("oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password", ["username"] = "admin", ["password"] = password }));
            var admin = JsonNode.Parse(await tokenAnswer.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
            http.DefaultRequestHeaders.Authorization = new("Bearer", admin);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public async Task<JsonNode> PostAsync(string path, object body)
    {
        var r = await Http.PostAsJsonAsync(path, body);
        var text = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)r.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A published API on the echo backend, an application subscribed with <paramref name="plan"/>, and its token.</summary>
    public async Task<(Uri Url, string Token)> SetupAsync(string plan)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var api = await PostAsync("api/publisher/apis", new { name = $"Bench{id}", context = $"/bench{id}", version = "1", endpoint = new { production = $"ws://127.0.0.1:{_ports[2]}/echo" }, plans = new[] { plan }, publish = true });
        var app = await PostAsync("api/devportal/applications", new { name = $"Bench{id}" });
        var appId = app["id"]!.GetValue<string>();
        await PostAsync($"api/devportal/applications/{appId}/keys", new { keyType = "production" });
        await PostAsync("api/devportal/subscriptions", new { apiId = api["id"]!.GetValue<string>(), applicationId = appId, plan });
        var token = await PostAsync($"api/devportal/applications/{appId}/keys/production/token", new { });
        return (new Uri($"ws://127.0.0.1:{_ports[1]}/bench{id}/1"), token["access_token"]!.GetValue<string>());
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => { var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); return l; }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    public void Dispose()
    {
        Http.Dispose();
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
