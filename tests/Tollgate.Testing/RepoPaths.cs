using System.Reflection;

namespace Tollgate.Testing;

/// <summary>Locates the repository and the build outputs the tests run as child processes.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    /// <summary>Build configuration of this test assembly (the server and CLI are built with the same one).</summary>
    public static string Configuration =>
        Environment.GetEnvironmentVariable("TOLLGATE_E2E_CONFIGURATION") is { Length: > 0 } fromEnv
            ? fromEnv
            : typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    public static string ServerProject => Path.Combine(Root, "src", "Tollgate.Server", "Tollgate.Server.csproj");
    public static string CliProject => Path.Combine(Root, "src", "Tollgate.Cli", "Tollgate.Cli.csproj");

    public static string ServerDll => Path.Combine(Root, "src", "Tollgate.Server", "bin", Configuration, "net10.0", "Tollgate.Server.dll");
    public static string CliDll => Path.Combine(Root, "src", "Tollgate.Cli", "bin", Configuration, "net10.0", "tollgate.dll");

    public static string NodeDir => Path.Combine(Root, "tests", "node");
    public static string WscatScript => Path.Combine(NodeDir, "node_modules", "wscat", "bin", "wscat");
    public static string EchoClientScript => Path.Combine(NodeDir, "echo-client.js");

    /// <summary><c>TOLLGATE_SCREENSHOTS</c>, else <c>$TOLLGATE_TEST_RESULTS/screenshots</c>, else <c>TestResults/screenshots</c> under the repository.</summary>
    public static string Screenshots =>
        Environment.GetEnvironmentVariable("TOLLGATE_SCREENSHOTS") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetEnvironmentVariable("TOLLGATE_TEST_RESULTS") is { Length: > 0 } results ? results : Path.Combine(Root, "TestResults"), "screenshots");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException(
            $"Cannot find the repository root (a folder holding Tollgate.slnx) above {AppContext.BaseDirectory}.");
    }

    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    /// <summary>
    /// The test project references the server and CLI projects (ReferenceOutputAssembly=false), so a normal
    /// build produces them. When run from an IDE or after a partial build, build the missing one once.
    /// </summary>
    public static async Task EnsureBuiltAsync(string dll, string project)
    {
        if (File.Exists(dll)) return;
        await BuildLock.WaitAsync();
        try
        {
            if (File.Exists(dll)) return;
            var result = await ChildProcess.RunAsync(
                "dotnet", ["build", project, "-c", Configuration, "--nologo", "-v", "q"],
                workingDirectory: Root, timeout: TimeSpan.FromMinutes(5));
            if (!File.Exists(dll))
                throw new InvalidOperationException(
                    $"{dll} does not exist and building {project} did not produce it (exit {result.ExitCode}).\n{result.Output}");
        }
        finally
        {
            BuildLock.Release();
        }
    }
}
