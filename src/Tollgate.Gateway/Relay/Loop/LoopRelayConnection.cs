using System.Net.Sockets;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// One relayed connection owned by a <see cref="RelayLoop"/>: the same frame rules as the stream relay
/// (<see cref="RelayConnection"/>: header-only scanning, throttling gates, size and UTF-8 limits, gateway close frames on
/// frame boundaries, idle time-out and pings, pushes between messages), driven by readiness instead of awaits.
/// </summary>
/// <remarks>
/// Each direction (<see cref="Flow"/>) reads its source into a pinned buffer taken from the loop only while bytes are in
/// flight, scans the frame headers, and sends what was scanned to the other side at once. A send the socket cannot take
/// whole leaves the rest in the buffer and stops that direction's reading until the target drains (edge-triggered
/// EPOLLOUT): nothing is queued beyond one buffer, so a slow reader slows the sender through TCP. Frames the gateway
/// makes itself (close, ping, pushed message) go to a side only between frames of the direction writing to it.
/// All methods except <see cref="RequestClose"/>, <see cref="SendToClientAsync"/> and the properties run on the loop thread.
/// </remarks>
internal sealed class LoopRelayConnection : IRelayConnection, ILoopSocketOwner
{
    private static readonly byte[] PingFrame = [0x80 | FrameHeader.Ping, 0x00];

    private readonly RelayLoop _loop;
    private readonly RelayOptions _options;
    private readonly Side _client;
    private readonly Side _backend;
    private readonly Flow _up;
    private readonly Flow _down;
    // Continuations run inline on the loop thread when the connection ends: the gateway's only awaiter (its end-of-connection
    // bookkeeping: registry, analytics, access log) is short and never blocks, and a thread-pool hop per connection costs
    // a wake-up on a busy box. Awaiters must not block on this loop's work.
    private readonly TaskCompletionSource<RelayResult> _completion = new();
    private readonly long _idleTicks;
    private readonly long _pingTicks;
    private readonly long _checkTicks;
    private int _slot = -1;
    private RelayResult? _result;
    private int _closeRequested;
    private volatile bool _closing;
    private long _closeDeadline;
    private long _lastActivity;
    private long _lastPing;
    private long _nextCheck;
    private long _progress;
    private bool _finished;
    private bool _sendQueued; // waiting for the end of the loop's events to write (LoopSends)
    private bool _clientReleased; // closed after a clean close handshake, while the backend's hang-up is awaited
    private long _timerAt; // when this connection's one entry in the loop's timer queue is due; 0 = none
    private readonly TimerTicket _ticket;

    internal LoopRelayConnection(
        RelayLoop loop, ISocketSource client, ISocketSource backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, IMessageGate? upstreamGate, IMessageGate? downstreamGate)
    {
        options.Validate();
        _ticket = new TimerTicket(this);
        _loop = loop;
        _options = options;
        Counters = counters;
        _client = new Side(client, isBackend: false);
        _backend = new Side(backend, isBackend: true);
        _up = new Flow(this, _client, _backend, options.MaxMessageBytes, client.Leftover.ToArray(), upstreamGate, options.ValidateClientUtf8);
        _down = new Flow(this, _backend, _client, options.MaxBackendMessageBytes, backendLeftover.ToArray(), downstreamGate, checkUtf8: false);
        _client.Writer = _down;
        _backend.Writer = _up;
        _idleTicks = Ticks(options.IdleTimeout);
        _pingTicks = Ticks(options.PingInterval);
        if (_idleTicks > 0 || _pingTicks > 0)
        {
            // As the stream relay: a quarter of the idle time-out, half the ping interval, at least 10 ms.
            long period = long.MaxValue;
            if (_idleTicks > 0)
                period = _idleTicks / 4;
            if (_pingTicks > 0)
                period = Math.Min(period, _pingTicks / 2);
            _checkTicks = Math.Max(period, Ticks(TimeSpan.FromMilliseconds(10)));
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    public RelayCounters Counters { get; }

    public Task<RelayResult> Completion => _completion.Task;

    /// <summary>Its ticket has left the loop's timers and no longer holds it (true once it finished).</summary>
    internal bool TimerReleased => _ticket.Owner is null;

    // ---------------------------------------------------------------- from any thread

    public bool RequestClose(ushort code, string? reason = null)
    {
        if (!CloseFrame.IsSendable(code))
            throw new ArgumentOutOfRangeException(nameof(code), code, "not a close code an endpoint may send");
        if (_closing || Interlocked.Exchange(ref _closeRequested, 1) != 0)
            return false;
        _loop.Post(() =>
        {
            if (_finished)
                return;
            CloseBothNow(code, reason ?? "", error: null);
            Drive();
        });
        return true;
    }

    public async Task<bool> SendToClientAsync(ReadOnlyMemory<byte> payload, bool text)
    {
        var frame = DataFrame.Build(payload.Span, text);
        var sent = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            if (_finished || !ClientIdle() || _down.TargetMidMessage)
            {
                sent.TrySetResult(false);
                return;
            }
            StartInject(_client, frame, isClose: false, sent);
            Drive();
        });
        var ok = await sent.Task.ConfigureAwait(false);
        if (ok)
            Counters.Add(fromClient: false, 1, payload.Length);
        return ok;
    }

    // ---------------------------------------------------------------- loop thread

    internal void Attach()
    {
        try
        {
            _slot = _loop.Register(this, _client.Fd, _backend.Fd);
        }
        catch (Exception e)
        {
            SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
            Finish();
            return;
        }
        Begin();
    }

    /// <summary>
    /// Takes over the slot a handshake on the gateway's front registered the client's socket in (and the backend's, when
    /// the front connected it): the sockets stay in the epoll set, so the switch costs no system call.
    /// </summary>
    /// <remarks>A side the front read until it was drained, with no readiness since, waits for its next edge instead of
    /// starting with a read that would find nothing.</remarks>
    internal void Adopt(FrontSlot front, bool backendRegistered)
    {
        var slot = front.Slot;
        _client.Readable = front.ClientEdgeMissed;
        _backend.Readable = front.BackendEdgeMissed || !backendRegistered;
        _loop.Replace(slot, this);
        if (!backendRegistered)
        {
            try
            {
                _loop.AddBackend(slot, _backend.Fd);
            }
            catch (Exception e)
            {
                _loop.Unregister(slot, _client.Fd, -1);
                SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
                Finish();
                return;
            }
        }
        _slot = slot;
        Begin();
    }

    private void Begin()
    {
        _lastActivity = RelayLoop.Now;
        if (_checkTicks > 0)
        {
            _nextCheck = _lastActivity + _checkTicks;
            WakeAt(_nextCheck);
        }
        _up.TakeLeftover();
        _down.TakeLeftover();
        Drive();
    }

    public void OnEvents(int side, uint events)
    {
        var s = side == 0 ? _client : _backend;
        if ((events & (LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP)) != 0)
            s.Writable = true;
        if ((events & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLRDHUP)) != 0)
            s.Readable = true;
        if ((events & (LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLRDHUP)) != 0)
            s.PeerClosed = true; // read on to the end or the error: a short read no longer means "drained"
        Drive();
    }

    /// <summary>The loop's events are handled: write what waited for their end, and go on as far as that allows.</summary>
    internal void SendQueued()
    {
        _sendQueued = false;
        Drive();
    }

    /// <summary>The ticket is due at the earliest need: an earlier one moves it, a later one waits for it (OnTimer re-arms).</summary>
    private void WakeAt(long due)
    {
        if (_finished || (_timerAt != 0 && _timerAt <= due))
            return;
        _timerAt = due;
        _loop.Schedule(_ticket, due);
    }

    public void OnTimer(long due, long now)
    {
        if (_finished)
            return;
        _timerAt = 0;
        if (_closing && now >= _closeDeadline)
        {
            Finish(); // the close handshake timed out: drop both connections
            return;
        }
        _up.ResumeIfDue(now);
        _down.ResumeIfDue(now);
        if (_checkTicks > 0 && now >= _nextCheck)
        {
            _nextCheck = now + _checkTicks;
            CheckIdle(now);
        }
        Drive();
        // Re-arm for the earliest thing still ahead.
        if (_finished)
            return;
        if (_closing)
            WakeAt(_closeDeadline);
        if (_checkTicks > 0 && !_closing)
            WakeAt(_nextCheck);
        _up.RearmResume();
        _down.RearmResume();
    }

    /// <summary>Moves bytes both ways until neither direction can go on without a new event.</summary>
    private void Drive()
    {
        if (_finished)
            return;
        try
        {
            long before;
            do
            {
                before = _progress;
                _up.Run();
                if (_finished)
                    return;
                _down.Run();
            }
            while (!_finished && _progress != before);
            if (!_finished && _up.Done && _down.Done && Settled(_client) && Settled(_backend))
                FinishOrAwaitBackendHangUp();
        }
        catch (Exception e)
        {
            SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
            Finish();
        }
    }

    /// <summary>Every write to this side that was started is done (or can never be).</summary>
    private static bool Settled(Side side) => side.Failed || (side.Inject is null && !side.Writer.HasPending);

    private void Progress() => _progress++;

    private void SetResult(RelayResult result) => _result ??= result;

    private void BeginClosing()
    {
        if (_closing)
            return;
        _closing = true;
        _closeDeadline = RelayLoop.After(_options.CloseHandshakeTimeout);
        WakeAt(_closeDeadline);
    }

    private bool CloseBoth(ushort code, string reason, string? error)
    {
        if (_closing || Interlocked.Exchange(ref _closeRequested, 1) != 0)
            return false;
        CloseBothNow(code, reason, error);
        return true;
    }

    private void CloseBothNow(ushort code, string reason, string? error)
    {
        SetResult(new RelayResult(code, reason, RelayCloser.Gateway, error));
        BeginClosing();
        RequestCloseOn(_client, code, reason);
        RequestCloseOn(_backend, code, reason);
    }

    /// <summary>A gateway close frame for <paramref name="side"/>: sent now if the direction writing to it is between frames, else at its next boundary.</summary>
    private void RequestCloseOn(Side side, ushort code, string reason)
    {
        side.PendingClose ??= new CloseRequest(code, reason);
        Progress();
        TrySendClose(side);
    }

    private void TrySendClose(Side side)
    {
        if (side.PendingClose is not { } request || side.CloseStarted || side.WriteClosed || side.Failed)
            return;
        var writer = side.Writer;
        // Not `writer.Forwarding && writer.TargetMidFrame`: a writer that stopped forwarding inside a frame (invalid UTF-8
        // found in a text frame's payload after its header went out) never reaches that frame's end, and a close frame
        // written there would land inside the frame's payload and corrupt the stream. As the stream relay (which keeps
        // such a side owned by its pump), that side gets no close frame; the close-handshake time-out drops it.
        if (writer.HasPending || side.Inject is not null || writer.TargetMidFrame)
            return; // Flush or the writer's scan (at its next frame boundary) comes back here
        side.CloseStarted = true;
        StartInject(side, CloseFrame.Build(request.Code, request.Reason, masked: side.IsBackend), isClose: true, done: null);
    }

    private void StartInject(Side side, byte[] frame, bool isClose, TaskCompletionSource<bool>? done)
    {
        side.Inject = frame;
        side.InjectPos = 0;
        side.InjectIsClose = isClose;
        side.InjectDone = done;
        Progress();
        Flush(side);
    }

    /// <summary>The client side takes a frame of the gateway's own now: nobody is writing to it and it is not closing.</summary>
    private bool ClientIdle()
    {
        var s = _client;
        return !_closing && !s.Failed && !s.WriteClosed && s.Inject is null && s.PendingClose is null
            && !s.Writer.HasPending && !s.Writer.TargetMidFrame;
    }

    /// <summary>Writes what waits for <paramref name="side"/>: the gateway's frame, then the writer's bytes. True when nothing waits any more.</summary>
    private bool Flush(Side side)
    {
        var writer = side.Writer;
        if (side.Failed)
        {
            writer.DropPending();
            return true;
        }
        if (side.Inject is { } frame)
        {
            if (!side.Writable || !Send(side, frame, ref side.InjectPos, frame.Length))
                return false;
            side.Inject = null;
            if (side.InjectIsClose)
            {
                side.WriteClosed = true;
                BeginClosing();
            }
            side.InjectDone?.TrySetResult(true);
            side.InjectDone = null;
            Progress();
        }
        if (writer.HasPending)
        {
            if (!side.Writable || !writer.SendPending())
                return false;
            Progress();
        }
        if (side.PendingClose is not null && !side.CloseStarted)
        {
            TrySendClose(side);
            return side.Inject is null;
        }
        return true;
    }

    /// <summary>Non-blocking send of data[pos..end): true when all of it went; false when the socket is full (or failed), or when the write waits for the end of the loop's events.</summary>
    private unsafe bool Send(Side side, byte[] data, ref int pos, int end)
    {
        if (_loop.BatchingSends)
        {
            // As a full socket: the bytes stay pending and the flow stops; SendQueued drives it again at the end of the events.
            if (!_sendQueued)
            {
                _sendQueued = true;
                _loop.SendAtEndOfEvents(this);
            }
            return false;
        }
        while (pos < end)
        {
            fixed (byte* p = data) // data may be a small unpinned frame of the gateway's own
            {
                nint n = LinuxSockets.send(side.Fd, p + pos, end - pos, LinuxSockets.MSG_DONTWAIT | LinuxSockets.MSG_NOSIGNAL);
                if (n > 0)
                {
                    pos += (int)n;
                    if (pos < end)
                    {
                        side.Writable = false; // the socket buffer is full: EPOLLOUT comes when it drains
                        return false;
                    }
                    return true;
                }
                int errno = LinuxSockets.Errno;
                if (errno == LinuxSockets.EINTR)
                    continue;
                if (errno == LinuxSockets.EAGAIN)
                {
                    side.Writable = false;
                    return false;
                }
                WriteFailed(side, LinuxSockets.Describe(errno));
                return false;
            }
        }
        return true;
    }

    /// <summary>Writing to <paramref name="side"/> failed: it is gone. As the stream relay: tell the other side and drain it to its close reply.</summary>
    private void WriteFailed(Side side, string error)
    {
        side.Failed = true;
        side.WriteClosed = true;
        side.Inject = null;
        side.InjectDone?.TrySetResult(false);
        side.InjectDone = null;
        var writer = side.Writer;
        writer.DropPending();
        Progress();
        if (!writer.Forwarding)
        {
            BeginClosing();
            return;
        }
        writer.StopForwarding();
        SetResult(new RelayResult(1006, null, writer.FromClient ? RelayCloser.Backend : RelayCloser.Client, $"{side.Name} connection failed: {error}"));
        BeginClosing();
        if (writer.FromClient)
            RequestCloseOn(writer.Source, 1011, "backend connection failed");
        else
            RequestCloseOn(writer.Source, 1001, "client went away");
    }

    /// <summary>The source hung up (EOF or reset) without a close frame.</summary>
    private void SourceEnded(Flow flow, string? error)
    {
        flow.Done = true;
        flow.Source.Failed = true;
        flow.Source.WriteClosed = true;
        flow.Source.Writer.DropPending();
        Progress();
        if (!flow.Forwarding)
            return; // the target already has its close frame
        SetResult(new RelayResult(1006, null, flow.FromClient ? RelayCloser.Client : RelayCloser.Backend,
            error is null ? $"{flow.Source.Name} closed the connection without a close frame" : $"{flow.Source.Name} connection failed: {error}"));
        BeginClosing();
        if (flow.TargetMidFrame)
        {
            Finish(); // half a frame went out: no close frame can follow it, just drop both connections
            return;
        }
        if (flow.FromClient)
            RequestCloseOn(flow.Target, 1001, "client went away");
        else
            RequestCloseOn(flow.Target, 1011, "backend closed the connection");
    }

    /// <summary>The source broke a limit or the framing rules: 1009/1007/1002 to it, and the target learns the connection is going away.</summary>
    private void Violation(Flow flow, ScanStop stop)
    {
        var (code, reason, error) = stop switch
        {
            ScanStop.MessageTooBig => ((ushort)1009, "message too big", $"{flow.Source.Name} sent a message over {flow.MaxMessageBytes} bytes"),
            ScanStop.InvalidUtf8 => ((ushort)1007, "invalid UTF-8 in a text message", $"{flow.Source.Name} sent a text message that is not UTF-8"),
            _ => ((ushort)1002, "protocol error", $"{flow.Source.Name} sent an invalid frame"),
        };
        SetResult(new RelayResult(code, reason, RelayCloser.Gateway, error));
        BeginClosing();
        RequestCloseOn(flow.Source, code, reason);
        if (stop == ScanStop.MessageTooBig)
            RequestCloseOn(flow.Target, 1001, $"{flow.Source.Name} message too big");
        else if (flow.FromClient)
            RequestCloseOn(flow.Target, 1001, stop == ScanStop.InvalidUtf8 ? "client sent invalid UTF-8" : "client protocol error");
        else
            RequestCloseOn(flow.Target, 1011, "backend protocol error");
    }

    private void CheckIdle(long now)
    {
        if (_closing)
            return;
        long idle = now - _lastActivity;
        if (_idleTicks > 0 && idle >= _idleTicks)
        {
            CloseBoth(1001, "idle timeout", $"no traffic for {idle * 1000 / System.Diagnostics.Stopwatch.Frequency} ms");
            return;
        }
        // A quiet connection gets a ping; a live client's pong counts as traffic (and goes on to the backend as an
        // unsolicited pong, which RFC 6455 5.5.3 allows); a dead one's silence runs into the idle time-out.
        if (_pingTicks > 0 && idle >= _pingTicks && now - _lastPing >= _pingTicks)
        {
            _lastPing = now;
            if (ClientIdle())
                StartInject(_client, PingFrame, isClose: false, done: null);
        }
    }

    /// <summary>An unexpected error in this connection's code: drop both sides and report it.</summary>
    public void Fail(Exception e)
    {
        SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
        Finish();
    }

    /// <summary>
    /// RFC 6455 7.1.1: after the close handshake the server closes the TCP connection first. The gateway is the server to
    /// the client, so the client's connection closes now; it is the backend's client, so the backend's connection waits
    /// for the backend to hang up (at most <see cref="RelayOptions.BackendHangUpWait"/>, never past the close deadline).
    /// Closing it first would leave a TIME_WAIT on one of the gateway's ephemeral ports toward the backend per connection,
    /// and a busy gateway runs out of them.
    /// </summary>
    private void FinishOrAwaitBackendHangUp()
    {
        if (!_closing || _backend.PeerClosed || _backend.Failed || HungUp(_backend))
        {
            Finish();
            return;
        }
        if (_clientReleased)
            return;
        _clientReleased = true;
        _up.ReleaseBuffer();
        _down.ReleaseBuffer();
        CloseSide(_client);
        // The connection is over for everyone else: the gateway's bookkeeping need not wait for the backend's FIN.
        _completion.TrySetResult(_result ?? RelayResult.Aborted);
        // A backend that keeps its end open is dropped after a short while (RFC 6455 7.1.1: "a reasonable time period"),
        // so such backends cost a descriptor for a second, not for the whole close-handshake time-out.
        _closeDeadline = Math.Min(_closeDeadline, RelayLoop.Now + Ticks(_options.BackendHangUpWait));
        WakeAt(_closeDeadline);
    }

    /// <summary>Its FIN (or an error) is already in, though its edge is not here yet: one peek, so most connections end without another wake-up.</summary>
    private static unsafe bool HungUp(Side side)
    {
        byte b;
        var n = LinuxSockets.recv(side.Fd, &b, 1, LinuxSockets.MSG_DONTWAIT | LinuxSockets.MSG_PEEK);
        return n == 0 || (n < 0 && LinuxSockets.Errno is not (LinuxSockets.EAGAIN or LinuxSockets.EINTR));
    }

    private static void CloseSide(Side side)
    {
        side.WriteClosed = side.Failed = true; // its descriptor number may be reused at once: nothing may write to it again
        side.InjectDone?.TrySetResult(false);
        side.InjectDone = null;
        try
        {
            side.Socket.Dispose();
        }
        catch
        {
        }
    }

    private void Finish()
    {
        if (_finished)
            return;
        _finished = true;
        _ticket.Detach();
        if (_slot >= 0)
            _loop.Release(_slot); // both sockets are closed below, which takes them out of the epoll set
        _up.ReleaseBuffer();
        _down.ReleaseBuffer();
        if (!_clientReleased)
            CloseSide(_client);
        CloseSide(_backend);
        _completion.TrySetResult(_result ?? RelayResult.Aborted);
    }

    private sealed record CloseRequest(ushort Code, string Reason);

    /// <summary>One socket: its readiness as epoll last told it, and what the gateway itself has to write to it.</summary>
    private sealed class Side(ISocketSource socket, bool isBackend) : ICloseTarget
    {
        public readonly IDisposable Socket = socket.Owner;
        public readonly int Fd = socket.Fd;
        /// <summary>The gateway is the backend's client, so frames it makes for the backend are masked.</summary>
        public readonly bool IsBackend = isBackend;
        public Flow Writer = null!;
        public bool Readable = true;
        public bool Writable = true;
        public bool PeerClosed;
        /// <summary>A close frame went to it (relayed or the gateway's): no more frames.</summary>
        public bool WriteClosed;
        /// <summary>It hung up or a write failed: nothing can be written any more.</summary>
        public bool Failed;
        public CloseRequest? PendingClose;
        public bool CloseStarted;
        public byte[]? Inject;
        public int InjectPos;
        public bool InjectIsClose;
        public TaskCompletionSource<bool>? InjectDone;
        public string Name => IsBackend ? "backend" : "client";
        public bool ClosePending => PendingClose is not null;
    }

    private enum Step : byte { Continue, Wait, NeedMore }

    /// <summary>One direction: its buffer, its frame scanner and gate, and the bytes scanned but not yet taken by the target.</summary>
    private sealed class Flow(LoopRelayConnection relay, Side source, Side target, long maxMessageBytes, byte[] leftover, IMessageGate? gate, bool checkUtf8)
    {
        public readonly Side Source = source;
        public readonly Side Target = target;
        public readonly long MaxMessageBytes = maxMessageBytes;
        public readonly bool FromClient = !source.IsBackend;
        private readonly DirectionScan _scan = new(fromClient: !source.IsBackend, maxMessageBytes, checkUtf8 && !source.IsBackend, gate);
        private byte[]? _leftover = leftover.Length > 0 ? leftover : null;
        private long _resumeAt;
        private bool _paused;
        private bool _needMore;
        private byte[]? _buffer;
        private int _scanPos;
        private int _filled;
        private int _sendPos;
        private int _sendEnd;
        private bool _closeInPending;

        public bool Forwarding => _scan.Forwarding;
        /// <summary>Its source sent its close frame, hung up, or can no longer be scanned: it is not read any more.</summary>
        public bool Done;
        /// <summary>The bytes relayed to the target so far end inside a frame / between a message's fragments.</summary>
        public bool TargetMidFrame;
        public bool TargetMidMessage;

        public bool HasPending => _sendPos < _sendEnd;

        public void TakeLeftover()
        {
            if (_leftover is null)
                return;
            _buffer = relay._loop.RentBuffer(Math.Max(relay._options.BufferSize, _leftover.Length));
            _leftover.CopyTo(_buffer, 0);
            _filled = _leftover.Length;
            _leftover = null;
            relay._lastActivity = RelayLoop.Now;
        }

        public void ResumeIfDue(long now)
        {
            if (_paused && now >= _resumeAt)
            {
                _paused = false;
                _scan.Admit();
                relay.Progress();
            }
        }

        public void RearmResume()
        {
            if (_paused)
                relay.WakeAt(_resumeAt);
        }

        public void StopForwarding() => _scan.StopForwarding();

        public void DropPending()
        {
            _sendPos = _sendEnd = 0;
            _closeInPending = false;
        }

        public bool SendPending()
        {
            if (!relay.Send(Target, _buffer!, ref _sendPos, _sendEnd))
                return false;
            _sendPos = _sendEnd = 0;
            if (_closeInPending)
            {
                _closeInPending = false;
                Target.WriteClosed = true; // nothing may follow a close frame (RFC 6455 5.5.1)
            }
            return true;
        }

        public void ReleaseBuffer()
        {
            if (_buffer is not null)
            {
                relay._loop.ReturnBuffer(_buffer);
                _buffer = null;
            }
            _scanPos = _filled = 0;
            _sendPos = _sendEnd = 0;
        }

        /// <summary>Forwards until the source has nothing more now, the target is full, or the direction is held or done.</summary>
        public void Run()
        {
            while (!relay._finished)
            {
                if (!relay.Flush(Target))
                    return;
                if (Done || _paused)
                {
                    if (Done && !HasPending)
                        ReleaseBuffer();
                    return;
                }
                if (_scanPos < _filled && !_needMore)
                {
                    if (Pump() == Step.Wait)
                        return;
                    continue;
                }
                if (!Source.Readable)
                {
                    if (_scanPos == _filled && !HasPending)
                        ReleaseBuffer(); // an idle direction holds no buffer
                    return;
                }
                if (!Read())
                    return;
            }
        }

        private unsafe bool Read()
        {
            if (_buffer is null)
            {
                _buffer = relay._loop.RentBuffer(relay._options.BufferSize);
            }
            else if (_scanPos > 0)
            {
                // Keep only the unscanned tail (part of a header or control frame) at the front.
                _buffer.AsSpan(_scanPos, _filled - _scanPos).CopyTo(_buffer);
                _filled -= _scanPos;
                _scanPos = 0;
            }
            int room = _buffer.Length - _filled;
            nint n;
            fixed (byte* p = _buffer)
                n = LinuxSockets.recv(Source.Fd, p + _filled, room, LinuxSockets.MSG_DONTWAIT);
            if (n > 0)
            {
                _filled += (int)n;
                _needMore = false;
                // Edge-triggered: a short read emptied the socket, and the next arrival raises a new event.
                if (n < room && !Source.PeerClosed)
                    Source.Readable = false;
                relay._lastActivity = RelayLoop.Now;
                relay.Progress();
                return true;
            }
            if (n == 0)
            {
                Source.Readable = false;
                relay.SourceEnded(this, error: null);
                return false;
            }
            int errno = LinuxSockets.Errno;
            if (errno == LinuxSockets.EINTR)
                return true;
            Source.Readable = false;
            if (errno == LinuxSockets.EAGAIN)
                return false;
            relay.SourceEnded(this, LinuxSockets.Describe(errno));
            return false;
        }

        /// <summary>Scans the buffered bytes up to the next event, hands the forwardable ones to the target and acts on the event.</summary>
        private Step Pump()
        {
            if (Forwarding && (Target.WriteClosed || Target.Failed || Target.CloseStarted) && !TargetMidFrame)
                StopForwarding();
            var stop = _scan.Scan(_buffer.AsSpan(_scanPos, _filled - _scanPos), Target, out int end, out long payloadBytes, out int messages,
                out ushort? closeCode, out string? closeReason, out bool discard);
            if (stop == ScanStop.Close && Forwarding && !discard)
            {
                // Recorded before the frame is forwarded: once it is, the other side's reply may follow at once.
                relay.SetResult(new RelayResult(closeCode, closeReason, FromClient ? RelayCloser.Client : RelayCloser.Backend, null));
            }
            if (Forwarding && end > 0 && !discard)
            {
                relay.Counters.Add(FromClient, messages, payloadBytes);
                _sendPos = _scanPos;
                _sendEnd = _scanPos + end;
                _closeInPending = stop == ScanStop.Close;
                TargetMidFrame = !_scan.AtFrameBoundary;
                TargetMidMessage = _scan.InMessage;
            }
            _scanPos += end;
            if (end > 0)
                relay.Progress();
            if (HasPending && Target.Writable && SendPending())
                relay.Progress();

            switch (stop)
            {
                case ScanStop.None:
                    if (_scanPos < _filled)
                    {
                        _needMore = true; // a header or control frame runs on past what was read
                        return Step.NeedMore;
                    }
                    return Step.Continue;
                case ScanStop.Close:
                    Done = true; // nothing may follow a close frame (RFC 6455 5.5.1)
                    relay.BeginClosing();
                    relay.Progress();
                    return Step.Wait;
                case ScanStop.PendingClose:
                    relay.TrySendClose(Target);
                    StopForwarding();
                    relay.Progress();
                    return Step.Continue;
                case ScanStop.ProtocolError or ScanStop.MessageTooBig or ScanStop.InvalidUtf8:
                    if (!Forwarding)
                    {
                        Done = true; // even a lenient scan cannot step over this; the close time-out ends the relay
                        relay.Progress();
                        return Step.Wait;
                    }
                    relay.Violation(this, stop);
                    StopForwarding();
                    return Step.Continue;
                case ScanStop.Shape:
                    // Not reading this side meanwhile is the back-pressure: TCP pushes back on the sender.
                    _paused = true;
                    _resumeAt = RelayLoop.Now + Math.Max(1, _scan.DelayNs * System.Diagnostics.Stopwatch.Frequency / 1_000_000_000);
                    relay.WakeAt(_resumeAt);
                    relay.Progress();
                    return Step.Wait;
                case ScanStop.Limit:
                    relay.CloseBoth(1008, _scan.LimitReason ?? "rate limit exceeded", $"throttled: {_scan.LimitReason}");
                    StopForwarding();
                    relay.Progress();
                    return Step.Continue;
                default: // Switch
                    return Step.Continue;
            }
        }
    }
}
