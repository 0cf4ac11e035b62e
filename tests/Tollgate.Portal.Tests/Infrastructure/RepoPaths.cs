using System.Reflection;

namespace Tollgate.Portal.Tests.Infrastructure;

/// <summary>Locates the repository, the server build output and where screenshots go.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    /// <summary>Build configuration of this test assembly (the server is built with the same one).</summary>
    public static string Configuration =>
        Environment.GetEnvironmentVariable("TOLLGATE_E2E_CONFIGURATION") is { Length: > 0 } fromEnv
            ? fromEnv
            : typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    public static string ServerDll => Path.Combine(Root, "src", "Tollgate.Server", "bin", Configuration, "net10.0", "Tollgate.Server.dll");

    /// <summary><c>TOLLGATE_SCREENSHOTS</c>, else <c>$TOLLGATE_TEST_RESULTS/screenshots</c>, else <c>TestResults/screenshots</c> under the repository.</summary>
    public static string Screenshots =>
        Environment.GetEnvironmentVariable("TOLLGATE_SCREENSHOTS") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetEnvironmentVariable("TOLLGATE_TEST_RESULTS") is { Length: > 0 } results ? results : Path.Combine(Root, "TestResults"), "screenshots");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx")))
                    return dir.FullName;
        throw new InvalidOperationException($"Cannot find the repository root (a folder holding Tollgate.slnx) above {AppContext.BaseDirectory}.");
    }
}
