using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests;

/// <summary>
/// Where Tollgate is started from does not matter: it watches no files there. ASP.NET Core's defaults watch the current
/// directory recursively for configuration changes (an inotify watch per folder, and an event for every write of a data
/// folder inside it); started from a home directory that can exhaust the system's watch limit.
/// </summary>
public sealed class WorkingDirectoryTests
{
    [Fact]
    public async Task A_server_started_in_a_deep_folder_with_its_data_inside_watches_no_files()
    {
        var work = Path.Combine(Path.GetTempPath(), "tollgate-e2e-deep-" + Guid.NewGuid().ToString("N")[..12]);
        for (var i = 0; i < 40; i++)
            Directory.CreateDirectory(Path.Combine(work, $"project-{i}", "src", "module"));
        try
        {
            await using var server = new TollgateServer(dataDir: Path.Combine(work, "data"), workDir: work);
            await server.StartAsync();
            using var client = new TollgateClient(server);
            var p = await Scenario.ProvisionAsync(server, client);
            await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken); // the store writes inside the folder

            Assert.Equal(0, InotifyWatches(server.ProcessId!.Value));
        }
        finally
        {
            if (Directory.Exists(work)) // the server deletes the folder it was started in when disposed
                Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The inotify watches the process holds, from /proc (each watched folder is one "inotify wd:" line).</summary>
    private static int InotifyWatches(int pid)
    {
        var watches = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }
            if (target != "anon_inode:inotify")
                continue;
            var info = $"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}";
            watches += File.ReadLines(info).Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal));
        }
        return watches;
    }
}
