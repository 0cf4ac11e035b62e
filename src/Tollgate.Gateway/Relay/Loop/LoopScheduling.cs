using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>How the loop threads ask the kernel to schedule them (TOLLGATE_RELAY_SCHED).</summary>
internal enum LoopSchedulingMode
{
    /// <summary>SCHED_BATCH while a loop only relays; SCHED_OTHER while it is starting handshakes (the default).</summary>
    Adaptive,
    /// <summary>SCHED_BATCH always.</summary>
    Batch,
    /// <summary>SCHED_OTHER always, as any other thread.</summary>
    Normal,
}

/// <summary>
/// The kernel scheduling policy of the loop threads. Under SCHED_BATCH a loop has the same share of the CPU as any other
/// thread, but a loop woken by a peer's packet does not preempt the thread running on that core: the peer (a client, a
/// backend) finishes its turn and sends what it has, and the loop then finds more ready events in one wake-up. Relaying
/// gains (fewer context switches on both sides; "Seventh pass" in bench/README.md). A handshake loses: it is a chain of
/// short hops (request, backend connect, 101, first messages), and at each one the woken loop waits for the running
/// thread's turn to end, up to a scheduler tick (4 ms here) behind a compiler or collector thread. So by default a loop
/// runs under SCHED_OTHER from a handshake's start until <see cref="LoopPolicy.Hold"/> passes without another one, and under
/// SCHED_BATCH otherwise ("Ninth pass"). TOLLGATE_RELAY_SCHED=batch or normal keeps one policy.
/// </summary>
internal static unsafe class LoopScheduling
{
    internal const int SCHED_OTHER = 0, SCHED_BATCH = 3;

    public static LoopSchedulingMode Mode { get; } = Read(Environment.GetEnvironmentVariable("TOLLGATE_RELAY_SCHED"));

    internal static LoopSchedulingMode Read(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "batch" => LoopSchedulingMode.Batch,
        "normal" => LoopSchedulingMode.Normal,
        _ => LoopSchedulingMode.Adaptive,
    };

    // struct sched_param is one int, the priority, which must be 0 for SCHED_OTHER and SCHED_BATCH.
    [DllImport("libc", SetLastError = true)] private static extern int sched_setscheduler(int pid, int policy, int* param);
    [DllImport("libc", SetLastError = true)] private static extern int sched_getscheduler(int pid);

    /// <summary>The policy a loop thread starts with: SCHED_BATCH unless the mode is Normal.</summary>
    public static void ApplyToCurrentThread() => Set(Mode == LoopSchedulingMode.Normal ? SCHED_OTHER : SCHED_BATCH);

    /// <summary>Sets the calling thread's policy (Linux: pid 0 is the calling thread). A refusal only costs the gain.</summary>
    internal static void Set(int policy)
    {
        int priority = 0;
        if (sched_setscheduler(0, policy, &priority) != 0)
            Trace.TraceWarning($"relay loop: sched_setscheduler failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
    }

    /// <summary>The calling thread's policy: true for SCHED_BATCH.</summary>
    public static bool CurrentThreadIsBatch() => sched_getscheduler(0) == SCHED_BATCH;
}
