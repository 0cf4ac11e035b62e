using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>
/// TOLLGATE_RELAY_PIN=1 keeps each loop thread on a CPU of its own when there are as many loops as CPUs; the rest of the
/// process keeps every CPU. Read back from the kernel (/proc/self/task/*/status), as `taskset -p` shows it.
/// </summary>
public sealed class LoopAffinityTests
{
    [Fact]
    public async Task A_loop_given_a_cpu_runs_only_there_and_every_other_thread_keeps_them_all()
    {
        var allowed = LoopAffinity.AllowedCpus();
        Assert.NotEmpty(allowed);
        var cpu = allowed[^1];
        var loop = new RelayLoop(93, cpu: cpu); // a loop of its own: the shared ones are not pinned by default

        Assert.Equal([cpu], await OnLoop.RunAsync(loop, LoopAffinity.AllowedCpus));
        var tasks = Directory.GetDirectories("/proc/self/task").Select(ThreadAt).OfType<(string Name, int[] Cpus)>().ToList();
        Assert.Equal([cpu], tasks.Single(t => t.Name == "tg-relay-93").Cpus);
        // The process's own loops (TOLLGATE_RELAY_PIN is not set here) and every thread that is not a loop keep them all.
        foreach (var shared in RelayLoops.All)
            Assert.Equal(allowed, await OnLoop.RunAsync(shared, LoopAffinity.AllowedCpus));
        Assert.All(tasks.Where(t => t.Name != "tg-relay-93"), t => Assert.Equal(allowed, t.Cpus));
    }

    [Fact]
    public void Loops_are_pinned_only_when_asked_and_one_to_one_with_the_cpus()
    {
        Assert.False(LoopAffinity.IsEnabled); // off unless TOLLGATE_RELAY_PIN=1
        var allowed = LoopAffinity.AllowedCpus();
        Assert.Null(LoopAffinity.CpusFor(allowed.Length, enabled: false));
        Assert.Null(LoopAffinity.CpusFor(allowed.Length + 1, enabled: true));
        Assert.Null(LoopAffinity.CpusFor(1, enabled: true));
        if (allowed.Length > 1)
            Assert.Equal(allowed, LoopAffinity.CpusFor(allowed.Length, enabled: true));
    }

    /// <summary>A thread's name and the CPUs it may run on; null for one that ended meanwhile.</summary>
    private static (string Name, int[] Cpus)? ThreadAt(string taskDir)
    {
        try
        {
            return (File.ReadAllText(Path.Combine(taskDir, "comm")).Trim(), CpusAllowedList(File.ReadAllLines(Path.Combine(taskDir, "status"))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"Cpus_allowed_list: 0-1,3" as CPU numbers.</summary>
    private static int[] CpusAllowedList(string[] status)
    {
        var line = status.Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        var cpus = new List<int>();
        foreach (var part in line["Cpus_allowed_list:".Length..].Trim().Split(','))
        {
            var range = part.Split('-');
            var first = int.Parse(range[0]);
            var last = range.Length > 1 ? int.Parse(range[1]) : first;
            for (var cpu = first; cpu <= last; cpu++)
                cpus.Add(cpu);
        }
        return [.. cpus];
    }
}
