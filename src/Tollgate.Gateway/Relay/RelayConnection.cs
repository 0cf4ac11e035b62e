using System.Buffers;
using System.IO.Pipelines;

namespace Tollgate.Gateway.Relay;

/// <summary>
/// One relayed WebSocket connection: two pumps (client→backend, backend→client) that forward bytes as read and
/// parse only frame headers, plus the close logic. Start it with <see cref="WebSocketRelay.Start"/>; end it
/// from outside with <see cref="RequestClose"/> (revocation 1008, shutdown 1001); await <see cref="Completion"/>.
/// </summary>
/// <remarks>
/// Memory is one pooled buffer per direction. Each chunk read is written before the next read, so a slow reader
/// stalls the pump and TCP flow control pushes back on the sender; nothing is ever queued. Data reaches a side
/// only from the pump reading the other side (its "owner"); close frames the gateway makes itself take the side
/// over through <see cref="Side.WriteState"/> while its owner is between frames, so they land on a frame
/// boundary and never interleave with relayed bytes. That costs two interlocked operations per chunk and no lock.
/// </remarks>
internal sealed class RelayConnection : IRelayConnection
{
    // Side.WriteState values.
    private const int Idle = 0;     // nobody writes; the owner may start a frame, the gateway may send its close
    private const int Writing = 1;  // the owner is writing, or is between reads in the middle of a frame
    private const int Injecting = 2; // the gateway writes a frame of its own (ping, pushed message) between frames; the owner waits
    private const int Closing = 3;  // a gateway close frame is being written
    private const int Closed = 4;   // a close frame went out, or the side is gone: no more writes

    /// <summary>An unmasked ping without payload: the gateway's keep-alive to the client.</summary>
    private static readonly byte[] PingFrame = [0x80 | FrameHeader.Ping, 0x00];

    /// <summary>TOLLGATE_RELAY_PIPE=0 makes the relay copy from pipe sources as from any stream (for A/B measurements).</summary>
    private static readonly bool ReadPipesInPlace = Environment.GetEnvironmentVariable("TOLLGATE_RELAY_PIPE") != "0";

    private readonly Side _client;
    private readonly Side _backend;
    private readonly RelayOptions _options;
    private readonly CancellationTokenSource _io;   // all I/O: the caller's abort, and the close handshake time-out
    private readonly CancellationToken _ioToken;
    private readonly Timer? _idleTimer;
    private RelayResult? _result;
    private int _closing;
    private int _closeRequested;
    private long _lastActivity;
    private long _lastPing;

    internal RelayConnection(
        Stream client, Stream backend, ReadOnlyMemory<byte> backendLeftover,
        RelayOptions options, RelayCounters counters, CancellationToken abort,
        IMessageGate? upstreamGate = null, IMessageGate? downstreamGate = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(counters);
        options.Validate();
        _options = options;
        Counters = counters;
        _client = new Side(client, isBackend: false);
        _backend = new Side(backend, isBackend: true);
        _io = CancellationTokenSource.CreateLinkedTokenSource(abort);
        _ioToken = _io.Token;
        _lastActivity = Environment.TickCount64;
        if (options.IdleTimeout > TimeSpan.Zero || options.PingInterval > TimeSpan.Zero)
        {
            double periodMs = double.MaxValue;
            if (options.IdleTimeout > TimeSpan.Zero)
                periodMs = options.IdleTimeout.TotalMilliseconds / 4;
            if (options.PingInterval > TimeSpan.Zero)
                periodMs = Math.Min(periodMs, options.PingInterval.TotalMilliseconds / 2);
            var period = TimeSpan.FromMilliseconds(Math.Max(10, periodMs));
            _idleTimer = new Timer(static s => ((RelayConnection)s!).CheckIdle(), this, period, period);
        }
        _upstreamGate = upstreamGate;
        _downstreamGate = downstreamGate;
        Completion = _completion.Task;
        _ = RunAsync(backendLeftover);
    }

    private readonly TaskCompletionSource<RelayResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>The backend's close frame was relayed: closing the TCP connection is the backend's to do first (RFC 6455 7.1.1).</summary>
    private volatile bool _backendSentClose;

    private readonly IMessageGate? _upstreamGate;
    private readonly IMessageGate? _downstreamGate;

    public RelayCounters Counters { get; }

    /// <summary>
    /// Completes when the client's connection is done with; never faults. After a clean close handshake the backend's
    /// connection is left a moment longer for the backend to hang up first (at most <see cref="RelayOptions.BackendHangUpWait"/>).
    /// </summary>
    public Task<RelayResult> Completion { get; }

    /// <summary>
    /// Closes the connection from the gateway: a close frame with this code and reason goes to the client
    /// (unmasked) and to the backend (masked), each at the next frame boundary; then the relay waits for their
    /// close replies (at most <see cref="RelayOptions.CloseHandshakeTimeout"/>) and ends.
    /// Returns false if the connection was already closing.
    /// </summary>
    public bool RequestClose(ushort code, string? reason = null)
    {
        if (!CloseFrame.IsSendable(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "not a close code an endpoint may send");
        }
        return CloseBoth(code, reason ?? "", error: null);
    }

    private async Task RunAsync(ReadOnlyMemory<byte> backendLeftover)
    {
        try
        {
            var upstream = new Pump(this, _client, _backend, _options.MaxMessageBytes, ReadOnlyMemory<byte>.Empty, _upstreamGate).RunAsync();
            var downstream = new Pump(this, _backend, _client, _options.MaxBackendMessageBytes, backendLeftover, _downstreamGate).RunAsync();
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
            // Close frames the gateway started writing finish (or time out) before the streams go.
            await Task.WhenAll(_client.CloseWrite, _backend.CloseWrite).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
        }
        finally
        {
            _idleTimer?.Dispose();
            // The gateway is the client's server: its connection closes first (RFC 6455 7.1.1), and the relay is over.
            await DisposeQuietlyAsync(_client.Stream).ConfigureAwait(false);
            _completion.TrySetResult(Volatile.Read(ref _result) ?? RelayResult.Aborted);
            // It is the backend's client: after the backend's close frame, the backend hangs up first, so the TIME_WAIT stays
            // on its host and not on one of the gateway's ephemeral ports.
            if (_backendSentClose)
                await AwaitHangUpAsync(_backend.Stream, _options.BackendHangUpWait).ConfigureAwait(false);
            await DisposeQuietlyAsync(_backend.Stream).ConfigureAwait(false);
            _io.Dispose();
        }
    }

    /// <summary>Reads (and drops) what still comes until the end of the stream, at most <paramref name="limit"/>.</summary>
    private static async Task AwaitHangUpAsync(Stream stream, TimeSpan limit)
    {
        using var wait = new CancellationTokenSource(limit);
        var scratch = new byte[64];
        try
        {
            while (await stream.ReadAsync(scratch, wait.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception)
        {
            // Timed out, reset or already disposed: the gateway closes its end now.
        }
    }

    private bool CloseBoth(ushort code, string reason, string? error)
    {
        if (Volatile.Read(ref _closing) != 0 || Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return false;
        }
        SetResult(new RelayResult(code, reason, RelayCloser.Gateway, error));
        BeginClosing();
        _ = RequestCloseAsync(_client, code, reason);
        _ = RequestCloseAsync(_backend, code, reason);
        return true;
    }

    /// <summary>Asks for a gateway close frame on <paramref name="side"/>: sent now if its owner is between frames, else by the owner at the next boundary.</summary>
    private Task RequestCloseAsync(Side side, ushort code, string reason)
    {
        Interlocked.CompareExchange(ref side.PendingClose, new CloseRequest(code, reason), null);
        return FlushCloseAsync(side);
    }

    private Task FlushCloseAsync(Side side)
    {
        if (Interlocked.CompareExchange(ref side.WriteState, Closing, Idle) != Idle)
        {
            return Task.CompletedTask;
        }
        var task = WriteCloseAsync(side);
        side.CloseWrite = task;
        return task;
    }

    private async Task WriteCloseAsync(Side side)
    {
        var request = Volatile.Read(ref side.PendingClose)!;
        try
        {
            await side.Stream.WriteAsync(CloseFrame.Build(request.Code, request.Reason, masked: side.IsBackend), _ioToken).ConfigureAwait(false);
        }
        catch
        {
            // The side is gone or the relay is being torn down: there is nobody left to tell.
        }
        finally
        {
            Volatile.Write(ref side.WriteState, Closed);
            BeginClosing();
        }
    }

    private bool SetResult(RelayResult result) => Interlocked.CompareExchange(ref _result, result, null) is null;

    /// <summary>From the first close on, both sides get <see cref="RelayOptions.CloseHandshakeTimeout"/> to finish; then all I/O is cancelled.</summary>
    private void BeginClosing()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            try
            {
                _io.CancelAfter(_options.CloseHandshakeTimeout);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Abort()
    {
        try
        {
            _io.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void CheckIdle()
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return;
        }
        long now = Environment.TickCount64;
        long idleMs = now - Volatile.Read(ref _lastActivity);
        if (_options.IdleTimeout > TimeSpan.Zero && idleMs >= (long)_options.IdleTimeout.TotalMilliseconds)
        {
            CloseBoth(1001, "idle timeout", $"no traffic for {idleMs} ms");
            return;
        }
        // A quiet connection gets a ping; a live client's pong counts as traffic (and is relayed on to the
        // backend as an unsolicited pong, which RFC 6455 5.5.3 allows), a dead one's silence runs into the idle time-out.
        long pingMs = (long)_options.PingInterval.TotalMilliseconds;
        if (pingMs > 0 && idleMs >= pingMs && now - _lastPing >= pingMs)
        {
            _lastPing = now;
            SendPing(_client);
        }
    }

    /// <summary>Writes a ping to <paramref name="side"/> if nobody is writing to it (a busy side needs no keep-alive).</summary>
    private void SendPing(Side side)
    {
        if (Interlocked.CompareExchange(ref side.WriteState, Injecting, Idle) != Idle)
        {
            return;
        }
        side.InjectWrite = WriteInjectedAsync(side, PingFrame);
    }

    /// <summary>
    /// Pushes a message of the gateway's own to the client (the admin API's "send to this connection"): written
    /// between the backend's messages, never inside one. False when the client is busy right now (a message from
    /// the backend is half way through, or the connection is closing): the caller may try again shortly.
    /// </summary>
    public async Task<bool> SendToClientAsync(ReadOnlyMemory<byte> payload, bool text)
    {
        var side = _client;
        if (Interlocked.CompareExchange(ref side.WriteState, Injecting, Idle) != Idle)
        {
            return false;
        }
        if (Volatile.Read(ref side.MidMessage))
        {
            await ReleaseInjectedAsync(side).ConfigureAwait(false);
            return false;
        }
        var write = WriteInjectedAsync(side, DataFrame.Build(payload.Span, text));
        side.InjectWrite = write;
        await write.ConfigureAwait(false);
        Counters.Add(fromClient: false, 1, payload.Length);
        return true;
    }

    private async Task WriteInjectedAsync(Side side, byte[] frame)
    {
        try
        {
            await side.Stream.WriteAsync(frame, _ioToken).ConfigureAwait(false);
        }
        catch
        {
            // The side is gone; its pump finds out on its next read or write.
        }
        finally
        {
            await ReleaseInjectedAsync(side).ConfigureAwait(false);
        }
    }

    /// <summary>Release, then look for a close requested meanwhile (the same handshake the pumps use).</summary>
    private Task ReleaseInjectedAsync(Side side) =>
        Interlocked.CompareExchange(ref side.WriteState, Idle, Injecting) == Injecting && Volatile.Read(ref side.PendingClose) is not null
            ? FlushCloseAsync(side)
            : Task.CompletedTask;

    private static async ValueTask DisposeQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch
        {
        }
    }

    private sealed record CloseRequest(ushort Code, string Reason);

    /// <summary>One end of the relay and who may write to it.</summary>
    private sealed class Side(Stream stream, bool isBackend) : ICloseTarget
    {
        public readonly Stream Stream = stream;
        /// <summary>The gateway is the backend's client, so frames it makes for the backend are masked.</summary>
        public readonly bool IsBackend = isBackend;
        public int WriteState;
        public CloseRequest? PendingClose;
        public Task CloseWrite = Task.CompletedTask;
        public Task InjectWrite = Task.CompletedTask;
        /// <summary>Set by the pump writing to this side: a message to it is half way through (between its fragments).</summary>
        public bool MidMessage;
        public string Name => IsBackend ? "backend" : "client";
        public bool ClosePending => Volatile.Read(ref PendingClose) is not null;
    }

    /// <summary>Forwards one direction. The hot path: no allocation and no lock per chunk or message.</summary>
    private sealed class Pump(RelayConnection relay, Side source, Side target, long maxMessageBytes, ReadOnlyMemory<byte> leftover, IMessageGate? gate)
    {
        private readonly bool _fromClient = !source.IsBackend;
        private readonly DirectionScan _scan = new(fromClient: !source.IsBackend, maxMessageBytes,
            checkUtf8: !source.IsBackend && relay._options.ValidateClientUtf8, gate);
        private ReadOnlyMemory<byte> _leftover = leftover;
        private bool _owning;             // holds target.WriteState == Writing across reads while a frame is half written

        public async Task RunAsync()
        {
            int size = relay._options.BufferSize;
            // Rented only while bytes are in flight: an idle connection holds no buffer (see the zero-byte read below).
            byte[]? buffer = null;
            var token = relay._ioToken;
            int filled = 0;
            bool read = true;
            // A source that is a pipe (the listener's client connection) is scanned and forwarded straight from the pipe's
            // blocks: no copy into a relay buffer and one read per chunk instead of a zero-byte read and a copying read.
            // The relay buffer is used only to join a header or control frame split across two blocks.
            var pipe = ReadPipesInPlace ? (source.Stream as IPipeSource)?.Input : null;
            try
            {
                while (true)
                {
                    ReadOnlyMemory<byte> window;
                    ReadOnlySequence<byte> sequence = default;
                    bool direct = false, completed = false;
                    if (pipe is not null && filled == 0 && _leftover.IsEmpty)
                    {
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = null;
                        }
                        ReadResult result;
                        try
                        {
                            // Waiting here holds no relay buffer, and the transport rents no block before data arrives.
                            result = await pipe.ReadAsync(token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            await SourceEndedAsync(e.Message).ConfigureAwait(false);
                            return;
                        }
                        if (result.IsCanceled)
                        {
                            throw new OperationCanceledException();
                        }
                        sequence = result.Buffer;
                        completed = result.IsCompleted;
                        if (sequence.IsEmpty)
                        {
                            pipe.AdvanceTo(sequence.End);
                            if (completed)
                            {
                                await SourceEndedAsync(null).ConfigureAwait(false);
                                return;
                            }
                            continue;
                        }
                        Volatile.Write(ref relay._lastActivity, Environment.TickCount64);
                        window = sequence.First;
                        direct = true;
                    }
                    else
                    {
                        if (read)
                        {
                            int n;
                            if (!_leftover.IsEmpty)
                            {
                                buffer ??= ArrayPool<byte>.Shared.Rent(size);
                                n = Math.Min(_leftover.Length, size - filled);
                                _leftover.Span[..n].CopyTo(buffer.AsSpan(filled));
                                _leftover = _leftover[n..];
                            }
                            else
                            {
                                try
                                {
                                    if (filled == 0)
                                    {
                                        // Nothing half-read: give the buffer back and wait for data with a zero-byte read,
                                        // so thousands of quiet connections cost no buffers (sockets, TLS and Kestrel's
                                        // upgraded stream all complete it when data arrives, or at the end of the stream).
                                        if (buffer is not null)
                                        {
                                            ArrayPool<byte>.Shared.Return(buffer);
                                            buffer = null;
                                        }
                                        await source.Stream.ReadAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
                                    }
                                    buffer ??= ArrayPool<byte>.Shared.Rent(size);
                                    n = await source.Stream.ReadAsync(buffer.AsMemory(filled, size - filled), token).ConfigureAwait(false);
                                }
                                catch (Exception e) when (e is not OperationCanceledException)
                                {
                                    await SourceEndedAsync(e.Message).ConfigureAwait(false);
                                    return;
                                }
                            }
                            if (n == 0)
                            {
                                await SourceEndedAsync(null).ConfigureAwait(false);
                                return;
                            }
                            filled += n;
                            Volatile.Write(ref relay._lastActivity, Environment.TickCount64);
                        }
                        window = buffer.AsMemory(0, filled);
                    }

                    if (_scan.Forwarding && !_owning && Volatile.Read(ref target.WriteState) >= Closing)
                    {
                        _scan.StopForwarding();
                    }

                    var stop = _scan.Scan(window.Span, target, out int end, out long payloadBytes, out int messages, out ushort? closeCode, out string? closeReason, out bool discard);
                    if (stop == ScanStop.Close && _scan.Forwarding && !discard)
                    {
                        // Recorded before the frame is forwarded: once it is, the other side's reply may race this pump.
                        relay.SetResult(new RelayResult(closeCode, closeReason, _fromClient ? RelayCloser.Client : RelayCloser.Backend, null));
                    }

                    if (_scan.Forwarding && end > 0 && !discard)
                    {
                        if (!await TakeTargetAsync().ConfigureAwait(false))
                        {
                            _scan.StopForwarding();
                        }
                        else
                        {
                            _owning = true;
                            bool written;
                            try
                            {
                                await target.Stream.WriteAsync(window[..end], token).ConfigureAwait(false);
                                written = true;
                            }
                            catch (Exception e) when (e is not OperationCanceledException)
                            {
                                _owning = false;
                                written = false;
                                await TargetFailedAsync(e.Message).ConfigureAwait(false);
                            }
                            if (written)
                            {
                                relay.Counters.Add(_fromClient, messages, payloadBytes);
                                Volatile.Write(ref target.MidMessage, _scan.InMessage);
                                if (stop == ScanStop.Close)
                                {
                                    _owning = false;
                                    Volatile.Write(ref target.WriteState, Closed);
                                }
                                else if (_scan.AtFrameBoundary)
                                {
                                    // Release, then look for a close requested meanwhile. The requester publishes first and
                                    // tries the same state next, both with full fences, so one of the two always sends it.
                                    _owning = false;
                                    if (Interlocked.CompareExchange(ref target.WriteState, Idle, Writing) == Writing
                                        && Volatile.Read(ref target.PendingClose) is not null)
                                    {
                                        await relay.FlushCloseAsync(target).ConfigureAwait(false);
                                    }
                                }
                            }
                        }
                    }

                    if (direct)
                    {
                        if (stop == ScanStop.None && !sequence.IsSingleSegment && (end < window.Length || window.IsEmpty))
                        {
                            // A header or control frame runs on into the next block: join them in the relay buffer and go on
                            // from there (the buffered path below) until it is drained.
                            buffer = ArrayPool<byte>.Shared.Rent(size);
                            filled = (int)Math.Min(sequence.Length - end, size);
                            sequence.Slice(end, filled).CopyTo(buffer);
                            var copied = sequence.GetPosition(end + filled);
                            pipe!.AdvanceTo(copied, copied);
                            read = false;
                        }
                        else
                        {
                            var consumed = sequence.GetPosition(end);
                            // Waiting for more only when everything here was scanned and more is needed; after a stop the
                            // rest comes back at once on the next read.
                            pipe!.AdvanceTo(consumed, stop == ScanStop.None && sequence.IsSingleSegment ? sequence.End : consumed);
                            if (stop == ScanStop.None && completed && end < sequence.Length)
                            {
                                await SourceEndedAsync(null).ConfigureAwait(false); // ended inside a frame header
                                return;
                            }
                        }
                    }

                    switch (stop)
                    {
                        case ScanStop.Close:
                            if (source.IsBackend && _scan.Forwarding)
                                relay._backendSentClose = true;
                            relay.BeginClosing();
                            return; // nothing may follow a close frame (RFC 6455 5.5.1)
                        case ScanStop.PendingClose:
                            await relay.FlushCloseAsync(target).ConfigureAwait(false);
                            _scan.StopForwarding();
                            break;
                        case ScanStop.ProtocolError or ScanStop.MessageTooBig or ScanStop.InvalidUtf8:
                            if (!_scan.Forwarding)
                            {
                                return; // even a lenient scan cannot step over this; the time-out ends the relay
                            }
                            await ViolationAsync(stop).ConfigureAwait(false);
                            _scan.StopForwarding();
                            break;
                        case ScanStop.Shape:
                            // Not reading this side meanwhile is the back-pressure: TCP pushes back on the sender.
                            await Task.Delay(TimeSpan.FromTicks(Math.Max(1, _scan.DelayNs / 100)), token).ConfigureAwait(false);
                            _scan.Admit();
                            break;
                        case ScanStop.Limit:
                            // The close goes to the target now (this pump released it at the message boundary) and to the
                            // source at its next frame boundary; the held message and the rest are only drained.
                            relay.CloseBoth(1008, _scan.LimitReason ?? "rate limit exceeded", $"throttled: {_scan.LimitReason}");
                            _scan.StopForwarding();
                            break;
                    }

                    if (direct)
                    {
                        continue;
                    }
                    // Keep the unscanned tail: a partial header or control frame, or what follows a stop.
                    if (end > 0)
                    {
                        buffer!.AsSpan(end, filled - end).CopyTo(buffer);
                        filled -= end;
                    }
                    read = stop == ScanStop.None;
                }
            }
            catch (OperationCanceledException)
            {
                // Aborted, or the close handshake timed out.
            }
            catch (Exception e)
            {
                relay.SetResult(new RelayResult(null, null, RelayCloser.Gateway, $"relay failed: {e.Message}"));
                relay.Abort();
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        /// <summary>
        /// Becomes the target's writer: at once when it is idle, after the gateway's ping when one is being written;
        /// false when the target is closing or gone.
        /// </summary>
        private async ValueTask<bool> TakeTargetAsync()
        {
            if (_owning)
            {
                return true;
            }
            while (true)
            {
                int previous = Interlocked.CompareExchange(ref target.WriteState, Writing, Idle);
                if (previous == Idle)
                {
                    return true;
                }
                if (previous != Injecting)
                {
                    return false;
                }
                var ping = Volatile.Read(ref target.InjectWrite);
                if (ping.IsCompleted)
                {
                    await Task.Yield(); // the pinger has not published its task yet, or is just releasing
                }
                else
                {
                    await ping.ConfigureAwait(false);
                }
            }
        }

        /// <summary>The source hung up (EOF or reset) without a close frame.</summary>
        private Task SourceEndedAsync(string? error)
        {
            Volatile.Write(ref source.WriteState, Closed);
            if (!_scan.Forwarding)
            {
                return Task.CompletedTask; // the target already has its close frame
            }
            relay.SetResult(new RelayResult(1006, null, _fromClient ? RelayCloser.Client : RelayCloser.Backend,
                error is null ? $"{source.Name} closed the connection without a close frame" : $"{source.Name} connection failed: {error}"));
            relay.BeginClosing();
            if (!_scan.AtFrameBoundary)
            {
                relay.Abort(); // half a frame went out: no close frame can follow it, just drop both connections
                return Task.CompletedTask;
            }
            return _fromClient
                ? relay.RequestCloseAsync(target, 1001, "client went away")
                : relay.RequestCloseAsync(target, 1011, "backend closed the connection");
        }

        /// <summary>Writing to the target failed: it is gone. Tell the source and drain it to its close reply.</summary>
        private Task TargetFailedAsync(string error)
        {
            Volatile.Write(ref target.WriteState, Closed);
            _scan.StopForwarding();
            relay.SetResult(new RelayResult(1006, null, _fromClient ? RelayCloser.Backend : RelayCloser.Client, $"{target.Name} connection failed: {error}"));
            relay.BeginClosing();
            // Not awaited: the source's own pump may be writing to it, and this pump must go on draining it.
            _ = _fromClient
                ? relay.RequestCloseAsync(source, 1011, "backend connection failed")
                : relay.RequestCloseAsync(source, 1001, "client went away");
            return Task.CompletedTask;
        }

        /// <summary>The source broke a limit or the framing rules: 1009/1007/1002 to it, and the target learns the connection is going away.</summary>
        private async Task ViolationAsync(ScanStop stop)
        {
            bool tooBig = stop == ScanStop.MessageTooBig;
            var (code, reason, error) = stop switch
            {
                ScanStop.MessageTooBig => ((ushort)1009, "message too big", $"{source.Name} sent a message over {maxMessageBytes} bytes"),
                ScanStop.InvalidUtf8 => ((ushort)1007, "invalid UTF-8 in a text message", $"{source.Name} sent a text message that is not UTF-8"),
                _ => ((ushort)1002, "protocol error", $"{source.Name} sent an invalid frame"),
            };
            relay.SetResult(new RelayResult(code, reason, RelayCloser.Gateway, error));
            relay.BeginClosing();
            // Not awaited: a sender busy pushing a huge message may not read for a while; this pump must keep draining it.
            _ = relay.RequestCloseAsync(source, code, reason);
            // This pump owns the target and stopped at a frame boundary, so its close goes out now.
            if (tooBig)
            {
                await relay.RequestCloseAsync(target, 1001, $"{source.Name} message too big").ConfigureAwait(false);
            }
            else if (_fromClient)
            {
                await relay.RequestCloseAsync(target, 1001, stop == ScanStop.InvalidUtf8 ? "client sent invalid UTF-8" : "client protocol error").ConfigureAwait(false);
            }
            else
            {
                await relay.RequestCloseAsync(target, 1011, "backend protocol error").ConfigureAwait(false);
            }
        }
    }
}
