using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using Xunit;

namespace Tollgate.Testing;

/// <summary>
/// A throw-away PostgreSQL server from the Debian package (<c>/usr/lib/postgresql/*/bin</c>): its own cluster in a
/// temporary folder, trust authentication, listening on 127.0.0.1 and a socket in that folder only, run as the
/// <c>postgres</c> OS user when the tests run as root (PostgreSQL refuses root). Stopped by its own process id.
/// Use it as an xunit class or collection fixture; give each test class its own database (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime, IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private const string OsUser = "postgres";

    private readonly StringBuilder _log = new();
    private Process? _process;
    private int _postmasterPid;
    private bool _disposed;

    public PostgresServer()
    {
        Port = FreePorts.Take();
        Folder = Path.Combine(Path.GetTempPath(), "tollgate-pg-" + Guid.NewGuid().ToString("N")[..10]);
    }

    public int Port { get; }

    /// <summary>The temporary folder: the cluster in <c>data/</c>, the Unix socket beside it.</summary>
    public string Folder { get; }

    public string DataDir => Path.Combine(Folder, "data");

    /// <summary>The superuser the cluster was made with (trust authentication: no password).</summary>
    public string User => "postgres";

    /// <summary>What the server wrote so far (for a test's failure message).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The <c>bin</c> folder of the newest PostgreSQL installed, or null.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
            return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "postgres")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>A connection string for <paramref name="database"/> on this server (TCP on 127.0.0.1).</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = User,
            // Tests open and drop many databases: no connection outlives its test class.
            Pooling = true,
        }.ConnectionString;

    /// <summary>Creates an empty database (a fresh name per test class keeps the classes apart) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new ArgumentException($"'{name}' is not a plain database name: use lower-case letters, digits and _.", nameof(name));
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>A database name no other test uses: <paramref name="prefix"/> plus random characters.</summary>
    public static string UniqueName(string prefix) => $"{prefix.ToLowerInvariant()}_{Guid.NewGuid().ToString("N")[..10]}";

    public async Task StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `apt-get install postgresql` (tests/run-all.sh does).");
        var asRoot = Environment.UserName == "root" || geteuid() == 0;
        Directory.CreateDirectory(Folder);
        if (asRoot)
            await RunAsync("chown", [OsUser + ":" + OsUser, Folder]);

        // A server stopped with StopAsync starts again on the same cluster (a test of an outage).
        if (!File.Exists(Path.Combine(DataDir, "PG_VERSION")))
            await RunAsync(Tool(bin, "initdb", asRoot), Args(asRoot, bin, "initdb",
                "-D", DataDir, "--auth=trust", "--username=" + User, "--encoding=UTF8", "--no-locale", "--no-sync"));

        var psi = new ProcessStartInfo(Tool(bin, "postgres", asRoot))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        foreach (var a in Args(asRoot, bin, "postgres",
                     "-D", DataDir, "-p", Port.ToString(), "-k", Folder,
                     "-c", "listen_addresses=127.0.0.1",
                     // A test server: durability is not what is tested, speed on a busy 2-core machine is.
                     "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                     "-c", "max_connections=300"))
            psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"PostgreSQL exited with code {process.ExitCode} at start.\n{Log}");
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=2");
                await connection.OpenAsync();
                break;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
        // The postmaster's own id (under runuser the child process is runuser's).
        _postmasterPid = int.Parse(File.ReadLines(Path.Combine(DataDir, "postmaster.pid")).First().Trim());
        // A test run that ends without disposing its fixtures must not leave the server behind.
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
    }

    /// <summary>Stops the server by its own process id: SIGINT (fast shutdown), then SIGKILL if it is still up after 10 s.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
            return;
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        NpgsqlConnection.ClearAllPools();
        if (_postmasterPid > 0)
            kill(_postmasterPid, 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            if (_postmasterPid > 0)
                kill(_postmasterPid, 9);
            try { process.Kill(); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await StopAsync();
        try
        {
            if (Directory.Exists(Folder))
                Directory.Delete(Folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private void StopOnExit(object? sender, EventArgs e)
    {
        if (_process is not null && _postmasterPid > 0)
            kill(_postmasterPid, 2);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Runs a PostgreSQL program as the postgres user when root (runuser), else directly.</summary>
    private static string Tool(string bin, string name, bool asRoot) => asRoot ? "runuser" : Path.Combine(bin, name);

    private static string[] Args(bool asRoot, string bin, string name, params string[] args) =>
        asRoot ? ["-u", OsUser, "--", Path.Combine(bin, name), .. args] : args;

    private async Task RunAsync(string file, IEnumerable<string> args)
    {
        var result = await ChildProcess.RunAsync(file, args, workingDirectory: Path.GetTempPath(), timeout: TimeSpan.FromMinutes(2));
        Append(result.StdOut);
        Append(result.StdErr);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed.\n{result.Output}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}
