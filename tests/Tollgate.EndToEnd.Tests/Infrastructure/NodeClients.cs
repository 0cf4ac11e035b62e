namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>Runs the npm clients installed in tests/node (wscat and a small `ws` script).</summary>
public static class NodeClients
{
    private static void EnsureInstalled()
    {
        if (!File.Exists(RepoPaths.WscatScript))
            throw new Xunit.Sdk.XunitException(
                $"wscat is not installed in {RepoPaths.NodeDir}/node_modules. Run tests/run-all.sh (it runs `npm ci` there).");
    }

    /// <summary><c>wscat -c URL [-H "Authorization: Bearer T"] -x MESSAGE -w SECONDS</c>, stdin kept open.</summary>
    internal static Task<ProcessResult> WscatAsync(string url, string? bearer, string message, int waitSeconds = 2)
    {
        EnsureInstalled();
        var args = new List<string> { RepoPaths.WscatScript, "-c", url };
        if (bearer is not null) args.AddRange(["-H", $"Authorization: Bearer {bearer}"]);
        args.AddRange(["-x", message, "-w", waitSeconds.ToString()]);
        return ChildProcess.RunAsync("node", args, RepoPaths.NodeDir, timeout: TimeSpan.FromSeconds(30), keepStdinOpen: true);
    }

    /// <summary><c>node tests/node/echo-client.js URL TOKEN MESSAGE</c>: exit 0 and "ECHO MESSAGE" on success, "STATUS N" (exit 2) on refusal.</summary>
    internal static Task<ProcessResult> EchoClientAsync(string url, string? bearer, string message)
    {
        EnsureInstalled();
        return ChildProcess.RunAsync("node", [RepoPaths.EchoClientScript, url, bearer ?? "-", message, "10000"],
            RepoPaths.NodeDir, timeout: TimeSpan.FromSeconds(30));
    }
}
