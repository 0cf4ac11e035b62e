using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// One event-loop thread in the style of nginx's worker: an edge-triggered epoll set over the sockets of the connections
/// it owns, non-blocking recv/send straight into a pooled pinned buffer, a timer queue, and a command queue (woken through
/// an eventfd) for what other threads ask of a connection. A relayed message costs one recv and one send per direction
/// and no thread hand-off; everything a connection does happens on its loop's thread, so its state needs no locks.
/// </summary>
internal sealed unsafe class RelayLoop
{
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong ListenTokens = ulong.MaxValue - 64; // listening sockets: ListenTokens + index
    private const int MaxEvents = 256;

    [ThreadStatic] private static RelayLoop? t_current;

    private readonly int _epfd;
    private readonly int _cpu;
    private readonly int _wakeFd;
    private readonly ConcurrentQueue<Action> _commands = new();
    private int _wakePending;
    private readonly List<ILoopSocketOwner?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _freeLater = [];
    private int _occupied; // slots in use; written on the loop's thread only
    private int _incoming;
    private readonly TimerHeap _timers = new();
    private long _wakeUps;
    // LoopSends: while a wake-up's events are handled, relay connections queue here instead of writing.
    private bool _batchingSends;
    private readonly List<LoopRelayConnection> _sendsDue = [];
    private long _batchedSends;
    private readonly List<(int Fd, Action Accept)?> _listeners = [];
    private readonly Stack<byte[]> _buffers = new();

    /// <param name="policyHold">The scheduling policy's hold (<see cref="LoopPolicy"/>), for tests.</param>
    /// <param name="cpu">The CPU the loop's thread stays on (<see cref="LoopAffinity"/>), or -1 for any.</param>
    public RelayLoop(int index, TimeSpan? policyHold = null, int cpu = -1)
    {
        _cpu = cpu;
        _epfd = LinuxSockets.epoll_create1(LinuxSockets.EPOLL_CLOEXEC);
        if (_epfd < 0)
            throw new InvalidOperationException($"epoll_create1 failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        _wakeFd = LinuxSockets.eventfd(0, LinuxSockets.EFD_CLOEXEC | LinuxSockets.EFD_NONBLOCK);
        if (_wakeFd < 0)
            throw new InvalidOperationException($"eventfd failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN, Data = WakeToken };
        if (LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_ADD, _wakeFd, &ev) != 0)
            throw new InvalidOperationException($"epoll_ctl failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        Policy = new LoopPolicy(this, policyHold);
        var thread = new Thread(Run) { IsBackground = true, Name = $"tg-relay-{index}" };
        thread.Start();
    }

    /// <summary>Returns from epoll_wait so far (read from any thread: for tests and diagnostics).</summary>
    public long WakeUps => Volatile.Read(ref _wakeUps);

    /// <summary>The loop thread's scheduling policy, switched by handshakes (on the loop's thread only).</summary>
    public LoopPolicy Policy { get; }

    /// <summary>The loop's own descriptors (never touched by <see cref="ForeignEpollRegistrations"/>).</summary>
    public int EpollFd => _epfd;
    public int WakeFd => _wakeFd;

    /// <summary>The loop whose thread this is, if any.</summary>
    public static RelayLoop? Current => t_current;

    /// <summary>Runs <paramref name="command"/> now when called on this loop's thread, else posts it.</summary>
    public void RunOrPost(Action command)
    {
        if (t_current == this)
            command();
        else
            Post(command);
    }

    /// <summary>
    /// As <see cref="RunOrPost(Action)"/>, with the command's state passed instead of captured: called on the loop's thread
    /// with a static lambda, it allocates nothing (a capturing lambda makes its closure object even when it runs at once).
    /// </summary>
    public void RunOrPost<TState>(Action<TState> command, TState state)
    {
        if (t_current == this)
            command(state);
        else
            PostWithState(command, state);
    }

    // Apart, so the closure is made only when the command is posted.
    private void PostWithState<TState>(Action<TState> command, TState state) => Post(() => command(state));

    /// <summary>Runs <paramref name="command"/> on the loop's thread, soon.</summary>
    public void Post(Action command)
    {
        _commands.Enqueue(command);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            LinuxSockets.write(_wakeFd, &one, sizeof(ulong));
        }
    }

    // ---- for connections, on the loop thread only ----

    public static long Now => Stopwatch.GetTimestamp();

    public static long After(TimeSpan delay) => Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// Wakes the ticket's owner (<see cref="ILoopSocketOwner.OnTimer"/>) at <paramref name="due"/> or later, unless it
    /// detaches the ticket first. A ticket has one due time: scheduling it again moves it.
    /// </summary>
    public void Schedule(TimerTicket ticket, long due)
    {
        if (ticket.Owner is null)
            return; // detached: its owner ended
        ticket.Loop = this;
        _timers.Set(ticket, due);
    }

    /// <summary>Tickets in the timers (on the loop's thread: for tests).</summary>
    internal int TimerCount => _timers.Count;

    /// <summary>Takes a detached ticket out of the timers (on this loop's thread, or posted to it).</summary>
    internal void Cancel(TimerTicket ticket)
    {
        if (t_current == this)
            _timers.Remove(ticket);
        else
            Post(() => _timers.Remove(ticket));
    }

    /// <summary>Adds both sockets, edge-triggered for reading and writing at once: no epoll_ctl per back-pressure episode.</summary>
    public int Register(ILoopSocketOwner owner, int clientFd, int backendFd)
    {
        var slot = Reserve(owner, clientFd);
        try
        {
            AddBackend(slot, backendFd);
        }
        catch
        {
            Unregister(slot, clientFd, -1); // a socket already gone: leave no slot or registration behind
            throw;
        }
        return slot;
    }

    /// <summary>
    /// Connections this loop owns or was handed and has not started yet (read from other threads, roughly): the front
    /// hands a new connection to a less busy loop when this one has clearly more (see LoopFront).
    /// </summary>
    public int Load => Volatile.Read(ref _occupied) + Volatile.Read(ref _incoming);

    /// <summary>A connection posted to this loop counts towards its <see cref="Load"/> until it takes a slot.</summary>
    public void Incoming(int change) => Interlocked.Add(ref _incoming, change);

    /// <summary>A slot with the client's socket only (a handshake on the front); the backend's joins with <see cref="AddBackend"/>.</summary>
    public int Reserve(ILoopSocketOwner owner, int clientFd)
    {
        Volatile.Write(ref _occupied, _occupied + 1);
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
            _slots[slot] = owner;
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(owner);
        }
        try
        {
            Add(clientFd, (ulong)slot << 1);
        }
        catch
        {
            Release(slot); // a socket already gone: leave no slot behind
            throw;
        }
        return slot;
    }

    public void AddBackend(int slot, int backendFd) => Add(backendFd, ((ulong)slot << 1) | 1);

    /// <summary>The slot's sockets stay registered and go to <paramref name="owner"/> (the handshake becomes the relay): no epoll_ctl.</summary>
    public void Replace(int slot, ILoopSocketOwner owner) => _slots[slot] = owner;

    /// <summary>Accepts on <paramref name="listenFd"/> from this loop too; the kernel wakes one loop per new connection (EPOLLEXCLUSIVE).</summary>
    public void AddListener(int listenFd, Action accept)
    {
        var index = _listeners.IndexOf(null); // a listener paused and re-added (out of descriptors) reuses its entry
        if (index < 0)
        {
            index = _listeners.Count;
            _listeners.Add(null);
        }
        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLEXCLUSIVE, Data = ListenTokens + (ulong)index };
        if (LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_ADD, listenFd, &ev) != 0)
            throw new IOException($"epoll_ctl(ADD) of a listening socket failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        _listeners[index] = (listenFd, accept);
    }

    public void RemoveListener(int listenFd)
    {
        for (int i = 0; i < _listeners.Count; i++)
        {
            if (_listeners[i] is { } l && l.Fd == listenFd)
            {
                LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_DEL, listenFd, null);
                _listeners[i] = null;
            }
        }
    }

    private void Add(int fd, ulong token)
    {
        var ev = new LinuxSockets.EpollEvent
        {
            Events = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLET,
            Data = token,
        };
        if (LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_ADD, fd, &ev) != 0)
            throw new IOException($"epoll_ctl(ADD) failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
    }

    /// <summary>Frees the slot; a descriptor of -1 was never added.</summary>
    public void Unregister(int slot, int clientFd, int backendFd)
    {
        if (clientFd >= 0)
            LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_DEL, clientFd, null);
        if (backendFd >= 0)
            LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_DEL, backendFd, null);
        Release(slot);
    }

    /// <summary>
    /// Frees the slot of sockets that are about to be closed (closing takes them out of the epoll set: no epoll_ctl). It is
    /// reused only after the current batch of events, so an event of the closed sockets in that batch reaches nobody.
    /// </summary>
    public void Release(int slot)
    {
        _slots[slot] = null;
        _freeLater.Add(slot);
        Volatile.Write(ref _occupied, _occupied - 1);
    }

    /// <summary>A pinned buffer of <see cref="RelayOptions.BufferSize"/>'s default size, taken only while bytes are in flight.</summary>
    public byte[] RentBuffer(int size)
    {
        if (size == Pooled && _buffers.Count > 0)
            return _buffers.Pop();
        return GC.AllocateUninitializedArray<byte>(size, pinned: true);
    }

    public void ReturnBuffer(byte[] buffer)
    {
        // A handful covers the connections in flight at one instant on one thread; the rest go to the GC.
        if (buffer.Length == Pooled && _buffers.Count < 64)
            _buffers.Push(buffer);
    }

    private static readonly int Pooled = new RelayOptions().BufferSize;

    private void Run()
    {
        t_current = this;
        LoopScheduling.ApplyToCurrentThread();
        if (_cpu >= 0)
            LoopAffinity.PinCurrentThread(_cpu);
        var events = (LinuxSockets.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(LinuxSockets.EpollEvent));
        while (true)
        {
            int timeout = WaitMilliseconds();
            int n = LinuxSockets.epoll_wait(_epfd, events, MaxEvents, timeout);
            _wakeUps++;
            if (n < 0)
            {
                if (LinuxSockets.Errno == LinuxSockets.EINTR)
                    continue;
                Environment.FailFast($"epoll_wait failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
            }
            _batchingSends = LoopSends.Batched && n > 1;
            for (int i = 0; i < n; i++)
            {
                var token = events[i].Data;
                if (token == WakeToken)
                {
                    RunCommands();
                    continue;
                }
                if (token >= ListenTokens)
                {
                    RunAccept((int)(token - ListenTokens));
                    continue;
                }
                var connection = _slots[(int)(token >> 1)];
                if (connection is null)
                    continue;
                try
                {
                    connection.OnEvents((int)(token & 1), events[i].Events);
                }
                catch (Exception e)
                {
                    connection.Fail(e); // one connection's bug must not take the loop and its other connections down
                }
            }
            SendQueued();
            RunTimers();
            foreach (var slot in _freeLater)
                _freeSlots.Push(slot);
            _freeLater.Clear();
        }
    }

    /// <summary>True while the loop handles a wake-up's events and relay connections write at its end (<see cref="LoopSends"/>).</summary>
    internal bool BatchingSends => _batchingSends;

    /// <summary>Connections that waited for the end of a wake-up's events to write, since the loop started (read from any thread).</summary>
    internal long BatchedSends => Volatile.Read(ref _batchedSends);

    /// <summary>Called by a connection with bytes to write while <see cref="BatchingSends"/>; once per wake-up.</summary>
    internal void SendAtEndOfEvents(LoopRelayConnection connection) => _sendsDue.Add(connection);

    private void SendQueued()
    {
        _batchingSends = false;
        if (_sendsDue.Count == 0)
            return;
        Volatile.Write(ref _batchedSends, _batchedSends + _sendsDue.Count);
        foreach (var connection in _sendsDue)
        {
            try
            {
                connection.SendQueued();
            }
            catch (Exception e)
            {
                connection.Fail(e);
            }
        }
        _sendsDue.Clear();
    }

    /// <summary>How long epoll_wait may sleep: until the first ticket is due (detached tickets have left the heap).</summary>
    private int WaitMilliseconds()
    {
        if (!_timers.TryPeek(out _, out var due))
            return -1;
        // Rounded up: a timer less than a millisecond away must not turn the wait into a spin.
        var left = due - Stopwatch.GetTimestamp();
        return left <= 0 ? 0 : (int)Math.Min((left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency, int.MaxValue);
    }

    private void RunAccept(int index)
    {
        if (index >= _listeners.Count || _listeners[index] is not { } listener)
            return;
        try
        {
            listener.Accept();
        }
        catch (Exception e)
        {
            Trace.TraceError($"relay loop accept failed: {e}");
        }
    }

    private void RunCommands()
    {
        ulong value;
        LinuxSockets.read(_wakeFd, &value, sizeof(ulong));
        Volatile.Write(ref _wakePending, 0);
        while (_commands.TryDequeue(out var command))
        {
            try
            {
                command();
            }
            catch (Exception e)
            {
                // A command is the connection's own code; it must never take the loop (and its other connections) down.
                Trace.TraceError($"relay loop command failed: {e}");
            }
        }
    }

    private void RunTimers()
    {
        if (_timers.Count == 0)
            return;
        var now = Stopwatch.GetTimestamp();
        while (_timers.TryPeek(out var ticket, out var due) && due <= now)
        {
            _timers.Remove(ticket);
            if (ticket.Owner is not { } owner)
                continue; // detached from another thread; its removal is posted
            try
            {
                owner.OnTimer(due, now);
            }
            catch (Exception e)
            {
                owner.Fail(e);
            }
        }
    }
}
