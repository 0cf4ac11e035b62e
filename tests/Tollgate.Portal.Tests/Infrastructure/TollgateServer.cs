using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Portal.Tests.Infrastructure;

/// <summary>One real Tollgate server process (all roles) on free loopback ports with its own data folder; stopped by its own pid.</summary>
public sealed class TollgateServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private const string ReadyLine = "Tollgate is ready";

    private readonly object _gate = new();
    private readonly StringBuilder _log = new();
    private Process? _process;

    public TollgateServer()
    {
        var ports = FreePorts.Take(3);
        HttpsPort = ports[0];
        GatewayPort = ports[1];
        EchoPort = ports[2];
        DataDir = Path.Combine(Path.GetTempPath(), "tollgate-portal-" + Guid.NewGuid().ToString("N")[..12]);
        AdminPassword = "Adm-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
    }

    public int HttpsPort { get; }
    public int GatewayPort { get; }
    public int EchoPort { get; }
    public string DataDir { get; }
    public string AdminPassword { get; }

    /// <summary>The portals, by the host name users type (the certificate is self-signed).</summary>
    public string BaseUrl => $"https://localhost:{HttpsPort}";
    public string EchoEndpoint => $"ws://localhost:{EchoPort}/echo";
    public int? ProcessId => _process?.Id;

    public string Log
    {
        get { lock (_gate) return _log.ToString(); }
    }

    public async Task StartAsync()
    {
        if (!File.Exists(RepoPaths.ServerDll))
            throw new InvalidOperationException($"{RepoPaths.ServerDll} does not exist: build first (dotnet build Tollgate.slnx -c {RepoPaths.Configuration}).");
        Directory.CreateDirectory(DataDir);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = DataDir,
        };
        foreach (var arg in new[]
                 {
                     RepoPaths.ServerDll, "--data", DataDir, "--https-port", HttpsPort.ToString(),
                     "--gateway-port", GatewayPort.ToString(), "--gateway-tls-port", "0", "--echo-port", EchoPort.ToString(),
                     "--analytics-flush-ms", "300", // analytics pages show traffic within a second
                 })
            psi.ArgumentList.Add(arg);
        psi.Environment["TOLLGATE_ADMIN_PASSWORD"] = AdminPassword;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("ASPNETCORE_URLS");
        psi.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        psi.Environment.Remove("ASPNETCORE_HTTPS_PORTS");

        var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append(e.Data);
            if (e.Data.Contains(ReadyLine, StringComparison.Ordinal)) ready.TrySetResult(true);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Append(e.Data); };
        process.Exited += (_, _) => ready.TrySetResult(false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var winner = await Task.WhenAny(ready.Task, Task.Delay(ReadyTimeout));
        if (winner != ready.Task || !ready.Task.Result)
        {
            await StopAsync();
            throw new InvalidOperationException($"Tollgate did not become ready.\n{Log}");
        }
    }

    public async Task StopAsync()
    {
        var process = _process;
        if (process is null) return;
        _process = null;
        try
        {
            if (!process.HasExited)
            {
                _ = SysKill(process.Id, 15); // SIGTERM to this pid only
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private void Append(string line)
    {
        lock (_gate) _log.Append(DateTime.Now.ToString("HH:mm:ss.fff ")).AppendLine(line);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);
}
