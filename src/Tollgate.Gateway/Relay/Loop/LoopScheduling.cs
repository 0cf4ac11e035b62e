using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// The kernel scheduling policy of the loop threads. By default each loop thread asks for SCHED_BATCH: the same share of
/// the CPU as any other thread, but a loop woken by a peer's packet does not preempt the thread running on that core. The
/// peer (a client, a backend) finishes its turn and sends what it has, and the loop then finds more ready events in one
/// wake-up: fewer context switches on both sides under load, and no change when a core is idle (an idle core runs the
/// woken loop at once). Measured in bench/README.md ("Seventh pass"). TOLLGATE_RELAY_SCHED=normal keeps SCHED_OTHER.
/// </summary>
internal static unsafe class LoopScheduling
{
    private const int SCHED_OTHER = 0, SCHED_BATCH = 3;

    /// <summary>True unless TOLLGATE_RELAY_SCHED=normal.</summary>
    public static bool Batch { get; } = Read(Environment.GetEnvironmentVariable("TOLLGATE_RELAY_SCHED"));

    internal static bool Read(string? text) => !string.Equals(text?.Trim(), "normal", StringComparison.OrdinalIgnoreCase);

    // struct sched_param is one int, the priority, which must be 0 for SCHED_OTHER and SCHED_BATCH.
    [DllImport("libc", SetLastError = true)] private static extern int sched_setscheduler(int pid, int policy, int* param);
    [DllImport("libc", SetLastError = true)] private static extern int sched_getscheduler(int pid);

    /// <summary>Applies the policy to the calling thread (Linux: pid 0 is the calling thread). A refusal only costs the gain.</summary>
    public static void ApplyToCurrentThread()
    {
        int priority = 0;
        if (sched_setscheduler(0, Batch ? SCHED_BATCH : SCHED_OTHER, &priority) != 0)
            Trace.TraceWarning($"relay loop: sched_setscheduler failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
    }

    /// <summary>The calling thread's policy: true for SCHED_BATCH.</summary>
    public static bool CurrentThreadIsBatch() => sched_getscheduler(0) == SCHED_BATCH;
}
