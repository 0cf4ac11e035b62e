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
    private const int MaxEvents = 256;

    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly ConcurrentQueue<Action> _commands = new();
    private int _wakePending;
    private readonly List<LoopRelayConnection?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly PriorityQueue<LoopRelayConnection, long> _timers = new();
    private readonly Stack<byte[]> _buffers = new();

    public RelayLoop(int index)
    {
        _epfd = LinuxSockets.epoll_create1(LinuxSockets.EPOLL_CLOEXEC);
        if (_epfd < 0)
            throw new InvalidOperationException($"epoll_create1 failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        _wakeFd = LinuxSockets.eventfd(0, LinuxSockets.EFD_CLOEXEC | LinuxSockets.EFD_NONBLOCK);
        if (_wakeFd < 0)
            throw new InvalidOperationException($"eventfd failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN, Data = WakeToken };
        if (LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_ADD, _wakeFd, &ev) != 0)
            throw new InvalidOperationException($"epoll_ctl failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
        var thread = new Thread(Run) { IsBackground = true, Name = $"tg-relay-{index}" };
        thread.Start();
    }

    /// <summary>The loop's own descriptors (never touched by <see cref="ForeignEpollRegistrations"/>).</summary>
    public int EpollFd => _epfd;
    public int WakeFd => _wakeFd;

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

    /// <summary>Wakes <paramref name="connection"/>'s <see cref="LoopRelayConnection.OnTimer"/> at <paramref name="due"/> (or later); the connection keeps at most one entry (see there).</summary>
    public void Schedule(LoopRelayConnection connection, long due) => _timers.Enqueue(connection, due);

    /// <summary>Adds both sockets, edge-triggered for reading and writing at once: no epoll_ctl per back-pressure episode.</summary>
    public int Register(LoopRelayConnection connection, int clientFd, int backendFd)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
            _slots[slot] = connection;
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(connection);
        }
        try
        {
            Add(clientFd, (ulong)slot << 1);
            Add(backendFd, ((ulong)slot << 1) | 1);
        }
        catch
        {
            Unregister(slot, clientFd, backendFd); // a socket already gone: leave no slot or registration behind
            throw;
        }
        return slot;
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

    public void Unregister(int slot, int clientFd, int backendFd)
    {
        LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_DEL, clientFd, null);
        LinuxSockets.epoll_ctl(_epfd, LinuxSockets.EPOLL_CTL_DEL, backendFd, null);
        _slots[slot] = null;
        _freeSlots.Push(slot);
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
        var events = (LinuxSockets.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(LinuxSockets.EpollEvent));
        while (true)
        {
            int timeout = -1;
            if (_timers.TryPeek(out _, out var due))
            {
                // Rounded up: a timer less than a millisecond away must not turn the wait into a spin.
                var left = due - Stopwatch.GetTimestamp();
                timeout = left <= 0 ? 0 : (int)Math.Min((left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency, int.MaxValue);
            }
            int n = LinuxSockets.epoll_wait(_epfd, events, MaxEvents, timeout);
            if (n < 0)
            {
                if (LinuxSockets.Errno == LinuxSockets.EINTR)
                    continue;
                Environment.FailFast($"epoll_wait failed: {LinuxSockets.Describe(LinuxSockets.Errno)}");
            }
            for (int i = 0; i < n; i++)
            {
                var token = events[i].Data;
                if (token == WakeToken)
                {
                    RunCommands();
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
            RunTimers();
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
        while (_timers.TryPeek(out var connection, out var due) && due <= now)
        {
            _timers.Dequeue();
            try
            {
                connection.OnTimer(due, now);
            }
            catch (Exception e)
            {
                connection.Fail(e);
            }
        }
    }
}
