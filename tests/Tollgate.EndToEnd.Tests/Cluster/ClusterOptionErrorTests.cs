using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>Cluster options given wrong stop the start with one line that says what to change, and never echo the secret.</summary>
[Trait("Category", "Cluster")]
public sealed class ClusterOptionErrorTests(ITestOutputHelper output)
{
    private const string Secret = "0123456789abcdef-secret";

    [Theory]
    [InlineData("--role gateway --node-secret " + Secret, "--control-plane")]
    [InlineData("--role gateway --control-plane https://127.0.0.1:9443", "--node-secret")]
    [InlineData("--role gateway --control-plane http://cp.example.com:9443 --node-secret " + Secret, "use https")]
    [InlineData("--role gateway --control-plane not-a-url --node-secret " + Secret, "is not a URL")]
    [InlineData("--role control-plane --node-secret short", "at least 16 characters")]
    [InlineData("--role control-plane --issuer http://plain.example.com", "--issuer")]
    public async Task A_wrong_cluster_option_is_refused_with_what_to_change(string arguments, string expected)
    {
        await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
        var result = await ChildProcess.RunAsync("dotnet", [RepoPaths.ServerDll, .. arguments.Split(' ')], timeout: TimeSpan.FromSeconds(60));
        output.WriteLine(result.Output);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.StdErr.TrimStart());
        Assert.Contains(expected, result.StdErr);
        Assert.DoesNotContain(Secret, result.StdErr + result.StdOut);
        Assert.DoesNotContain("Tollgate is ready", result.StdOut);
    }
}
