using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Testing;

/// <summary>
/// One real Tollgate server process (all roles) on free loopback ports with its own data folder.
/// Stop() and Start() again reuse the same data folder and ports (restart tests).
/// </summary>
public sealed class TollgateServer : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private const string ReadyLine = "Tollgate is ready";

    private readonly object _gate = new();
    private readonly StringBuilder _log = new();
    private Process? _process;
    private TaskCompletionSource<bool>? _ready;
    private bool _deleteDataOnDispose;
    private Process? _stopping;

    /// <param name="dataDir">The data folder (kept after the test); default a new temporary one, deleted after.</param>
    /// <param name="workDir">The folder the server is started in; default a new temporary one.</param>
    public TollgateServer(string? dataDir = null, string? workDir = null)
    {
        var ports = FreePorts.Take(4);
        HttpsPort = ports[0];
        GatewayPort = ports[1];
        GatewayTlsPort = ports[2];
        EchoPort = ports[3];
        _deleteDataOnDispose = dataDir is null;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), "tollgate-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        WorkDir = workDir ?? Path.Combine(Path.GetTempPath(), "tollgate-e2e-cwd-" + Guid.NewGuid().ToString("N")[..12]);
        AdminPassword = "Adm-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
    }

    /// <summary>More server options for tests that need non-default settings (set before StartAsync).</summary>
    public List<string> ExtraArgs { get; } = [];

    /// <summary>More environment variables for the server process (e.g. <c>TOLLGATE_NODE_SECRET</c>), set before StartAsync.</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    public int HttpsPort { get; }
    public int GatewayPort { get; }
    public int GatewayTlsPort { get; }
    public int EchoPort { get; }
    public string DataDir { get; }
    public string WorkDir { get; }
    public string AdminUser => "admin";
    public string AdminPassword { get; }

    /// <summary>Base address of the control plane, addressed by loopback IP.</summary>
    public Uri HttpsBase => new($"https://127.0.0.1:{HttpsPort}/");
    public string GatewayBase => $"ws://127.0.0.1:{GatewayPort}";
    /// <summary>The portals, by the host name users type (the certificate is self-signed).</summary>
    public string BaseUrl => $"https://localhost:{HttpsPort}";
    public string EchoEndpoint => $"ws://localhost:{EchoPort}/echo";
    public int? ProcessId => _process?.Id;
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the server wrote to stdout and stderr so far (all runs).</summary>
    public string Log
    {
        get { lock (_gate) return _log.ToString(); }
    }

    public int LogLength
    {
        get { lock (_gate) return _log.Length; }
    }

    public string LogSince(int offset)
    {
        lock (_gate) return offset >= _log.Length ? "" : _log.ToString(offset, _log.Length - offset);
    }

    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException("The server is already running.");
        await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
        Directory.CreateDirectory(DataDir);
        Directory.CreateDirectory(WorkDir);

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        foreach (var arg in new[]
                 {
                     RepoPaths.ServerDll,
                     "--data", DataDir,
                     "--https-port", HttpsPort.ToString(),
                     "--gateway-port", GatewayPort.ToString(),
                     "--gateway-tls-port", GatewayTlsPort.ToString(),
                     "--echo-port", EchoPort.ToString(),
                 })
            psi.ArgumentList.Add(arg);
        foreach (var arg in ExtraArgs)
            psi.ArgumentList.Add(arg);
        psi.Environment["TOLLGATE_ADMIN_PASSWORD"] = AdminPassword;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in ExtraEnvironment)
            psi.Environment[name] = value;
        psi.Environment.Remove("ASPNETCORE_URLS");
        psi.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        psi.Environment.Remove("ASPNETCORE_HTTPS_PORTS");

        var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append("out", e.Data);
            if (e.Data.Contains(ReadyLine, StringComparison.Ordinal)) ready.TrySetResult(true);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Append("err", e.Data);
        };
        process.Exited += (_, _) =>
        {
            ready.TrySetResult(false);
            if (!ReferenceEquals(_stopping, process))
                Append("harness", $"THE SERVER PROCESS EXITED UNEXPECTEDLY (pid {SafeId(process)}, exit code {SafeExitCode(process)})");
        };

        Append("harness", $"starting {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _ready = ready;

        var winner = await Task.WhenAny(ready.Task, Task.Delay(ReadyTimeout));
        if (winner != ready.Task || !ready.Task.Result)
        {
            var why = winner != ready.Task
                ? $"did not print '{ReadyLine}' within {ReadyTimeout.TotalSeconds:0} s"
                : $"exited with code {SafeExitCode(process)} before printing '{ReadyLine}'";
            await StopAsync();
            throw new InvalidOperationException($"Tollgate server {why}.\n--- server output (tail) ---\n{Tail(Log, 12_000)}");
        }
        Append("harness", $"ready (pid {process.Id})");
    }

    /// <summary>Stops the server (SIGTERM, then kill of the whole process tree) and keeps the data folder.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null) return;
        _stopping = process;
        _process = null;
        try
        {
            if (!process.HasExited)
            {
                if (!OperatingSystem.IsWindows())
                {
                    _ = SysKill(process.Id, 15); // SIGTERM: graceful shutdown
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    try { await process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
                }
                if (!process.HasExited)
                {
                    Append("harness", "server did not stop in time; killing its process tree");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            process.WaitForExit(); // drain output
            Append("harness", $"stopped (exit code {SafeExitCode(process)})");
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        finally
        {
            process.Dispose();
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    /// <summary>Keep the data folder when this instance is disposed (another instance reuses it).</summary>
    public void KeepDataOnDispose() => _deleteDataOnDispose = false;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        TryDelete(WorkDir);
        if (_deleteDataOnDispose) TryDelete(DataDir);
    }

    private void Append(string stream, string line)
    {
        lock (_gate)
        {
            _log.Append('[').Append(DateTime.Now.ToString("HH:mm:ss.fff")).Append(' ').Append(stream).Append("] ").AppendLine(line);
        }
    }

    private static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];

    private static string SafeId(Process p)
    {
        try { return p.Id.ToString(); } catch (InvalidOperationException) { return "?"; }
    }

    private static string SafeExitCode(Process p)
    {
        try { return p.HasExited ? p.ExitCode.ToString() : "(running)"; } catch (InvalidOperationException) { return "?"; }
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);
}
