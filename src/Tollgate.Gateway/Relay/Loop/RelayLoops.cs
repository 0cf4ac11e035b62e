namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// The process's socket loops, started on first use: one per core (nginx's worker_processes auto), or
/// TOLLGATE_RELAY_LOOPS; each kept on its own core with TOLLGATE_RELAY_PIN=1 (<see cref="LoopAffinity"/>).
/// TOLLGATE_RELAY_LOOPS=0 turns the socket loop off and every connection uses the stream relay.
/// </summary>
internal static class RelayLoops
{
    private static readonly int Count = ReadCount();
    private static readonly Lazy<(RelayLoop[] Loops, HashSet<int> Fds)> s_loops = new(Create);

    /// <summary>True when connections with plain TCP on both sides can be relayed by a socket loop.</summary>
    public static bool IsEnabled => Count > 0 && LinuxSockets.IsSupported;

    private static int ReadCount()
    {
        var text = Environment.GetEnvironmentVariable("TOLLGATE_RELAY_LOOPS");
        if (int.TryParse(text, out var n) && n >= 0)
            return Math.Min(n, 64);
        return Environment.ProcessorCount;
    }

    private static (RelayLoop[], HashSet<int>) Create()
    {
        var loops = new RelayLoop[Count];
        var fds = new HashSet<int>();
        var cpus = LoopAffinity.CpusFor(Count, LoopAffinity.IsEnabled);
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = new RelayLoop(i, cpu: cpus?[i] ?? -1);
            fds.Add(loops[i].EpollFd);
            fds.Add(loops[i].WakeFd);
        }
        return (loops, fds);
    }

    private static int s_next;

    /// <summary>The loops, started on first use (the gateway's front registers its listening sockets in each).</summary>
    public static IReadOnlyList<RelayLoop> All => s_loops.Value.Loops;

    /// <summary>
    /// Hands both sockets to a loop; the relay owns and closes them from here on. A connection whose handshake ran on the
    /// gateway's front stays on that loop and takes over the front's slot (on the loop's thread, without a hand-off when
    /// called there); any other goes to the next loop in turn.
    /// </summary>
    public static LoopRelayConnection Start(
        ISocketSource client, ISocketSource backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, IMessageGate? upstreamGate, IMessageGate? downstreamGate)
    {
        var (loops, fds) = s_loops.Value;
        if (backend.MayBeOnDotNetEngine)
            ForeignEpollRegistrations.Remove(backend.Fd, fds);
        if (client.Front is { } front)
        {
            var backendInSlot = front.BackendFd == backend.Fd;
            var adopted = new LoopRelayConnection(front.Loop, client, backend, backendLeftover, options, counters, upstreamGate, downstreamGate);
            front.Loop.RunOrPost(static s => s.Adopted.Adopt(s.Front, s.BackendInSlot), (Adopted: adopted, Front: front, BackendInSlot: backendInSlot));
            return adopted;
        }
        var loop = loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
        if (client.MayBeOnDotNetEngine)
            ForeignEpollRegistrations.Remove(client.Fd, fds);
        var connection = new LoopRelayConnection(loop, client, backend, backendLeftover, options, counters, upstreamGate, downstreamGate);
        loop.Post(connection.Attach);
        return connection;
    }
}
