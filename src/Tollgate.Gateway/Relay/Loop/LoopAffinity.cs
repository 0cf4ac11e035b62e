using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// Each loop thread on a core of its own (nginx's <c>worker_cpu_affinity auto</c>), when TOLLGATE_RELAY_PIN=1 and the
/// process has as many CPUs to run on as it has loops; the kernel still runs every other thread on every core. Off by
/// default: on the 2-core bench machine, shared with the load generator and the backend, it relayed 64 B messages 4–17 %
/// faster but spent about 8 % more CPU per connection in the connect load (bench/README.md, "Twelfth pass").
/// </summary>
internal static unsafe class LoopAffinity
{
    private const int MaskWords = 16; // 1,024 CPUs: glibc's cpu_set_t

    [DllImport("libc", SetLastError = true)] private static extern int sched_getaffinity(int pid, nint size, ulong* mask);
    [DllImport("libc", SetLastError = true)] private static extern int sched_setaffinity(int pid, nint size, ulong* mask);

    public static bool IsEnabled { get; } = Environment.GetEnvironmentVariable("TOLLGATE_RELAY_PIN") == "1";

    /// <summary>The CPU for each of <paramref name="loops"/> loops, or null when they are not pinned.</summary>
    public static int[]? CpusFor(int loops, bool enabled)
    {
        if (!enabled || loops < 2 || !OperatingSystem.IsLinux())
            return null;
        var allowed = AllowedCpus();
        return allowed.Length == loops ? allowed : null;
    }

    /// <summary>The CPUs the calling thread may run on (at start-up, the process's).</summary>
    public static int[] AllowedCpus()
    {
        var mask = stackalloc ulong[MaskWords];
        if (sched_getaffinity(0, MaskWords * sizeof(ulong), mask) != 0)
            return [];
        var cpus = new List<int>();
        for (int word = 0; word < MaskWords; word++)
            for (int bit = 0; bit < 64; bit++)
                if ((mask[word] & (1UL << bit)) != 0)
                    cpus.Add(word * 64 + bit);
        return [.. cpus];
    }

    /// <summary>Keeps the calling thread on <paramref name="cpu"/> (Linux: pid 0 is the calling thread). A refusal only costs the gain.</summary>
    public static void PinCurrentThread(int cpu)
    {
        var mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (sched_setaffinity(0, MaskWords * sizeof(ulong), mask) != 0)
            Trace.TraceWarning($"relay loop: sched_setaffinity to CPU {cpu} failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
    }
}
