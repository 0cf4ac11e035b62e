using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// One accepted connection on the loop front until it is relayed or closed: reads and parses the request head (with the
/// handshake time-out and size limits), runs <see cref="GatewayRequestHandler"/> over a <see cref="HandshakeContext"/>,
/// and answers: a refusal (the connection then waits for its next request, as HTTP/1.1 keep-alive allows), or the 101,
/// after which the relay takes over this slot. It is also the request's upgrade feature and backend dialer, so the
/// handler's awaits complete on the loop's thread and its continuations run there.
/// </summary>
/// <remarks>
/// All state changes happen on the loop's thread. The handler may run elsewhere for a while when a check calls out (an
/// authorization URL, a ticket ledger) or the backend needs .NET's sockets (a host name, wss://); what it then asks of this
/// connection (the backend connect, the 101) is posted back to the loop.
/// </remarks>
internal sealed unsafe class FrontHandshake : ILoopSocketOwner, IHttpUpgradeFeature, IBackendDialer
{
    private const int InitialBuffer = 4096;
    private const int MaxBuffer = 64 * 1024; // above the 8 KiB request line + 32 KiB header limits, which answer first

    private enum State : byte { Head, Handling, Responding, Upgrading, Done }
    private enum After : byte { Close, NextRequest, Upgraded }

    private readonly LoopFront _front;
    private readonly RelayLoop _loop;
    private readonly int _fd;
    private readonly IPEndPoint? _remote;
    private readonly RequestHeadReader _reader;
    private int _slot = -1;
    private State _state;
    private byte[]? _buffer;
    private int _start;
    private int _filled;
    private long _headDeadline;
    private HandshakeContext? _context;
    private RequestHead? _head;
    private CancellationTokenSource? _aborted;
    private byte[]? _out;
    private int _outPos;
    private After _after;
    private bool _upgradeStarted;
    private bool _handedOver;
    private TaskCompletionSource<Stream>? _upgrade;
    private FrontBackend? _backend;
    private bool _clientDrained; // the last read of the request head was short: nothing more was waiting
    private bool _clientEdgeMissed;
    private bool _backendEdgeMissed;
    private FrontSlot? _handedSlot; // after the 101: where edges go until the relay adopts the slot
    private readonly TimerTicket _ticket;

    public FrontHandshake(LoopFront front, RelayLoop loop, int fd, IPEndPoint? remote)
    {
        _front = front;
        _loop = loop;
        _fd = fd;
        _remote = remote;
        _reader = new RequestHeadReader(front.Options.MaxRequestHeadBytes);
        _ticket = new TimerTicket(this);
    }

    /// <summary>On the loop's thread, right after accept.</summary>
    public void Start()
    {
        _loop.Policy.HandshakeStarting();
        // TCP_NODELAY comes from the listener (DeferredAccept). With a deferred accept the request is most likely here:
        // read it before registering, so the registration reports only what arrives after this read.
        var read = DeferredAccept.IsEnabled && ReadFirst();
        try
        {
            _slot = _loop.Reserve(this, _fd);
        }
        catch (IOException)
        {
            LinuxSockets.close(_fd);
            ReturnBuffer();
            _state = State.Done;
            return;
        }
        // With nothing read, registering reported the socket's readiness: the request's edge comes with the next wait.
        AwaitHead(_front.Options.HandshakeTimeout, readNow: read);
    }

    /// <summary>One read right after accept; false when nothing was waiting (the head then comes with an edge).</summary>
    private bool ReadFirst()
    {
        MakeRoom();
        nint n;
        fixed (byte* p = _buffer)
            n = LinuxSockets.recv(_fd, p, _buffer!.Length, LinuxSockets.MSG_DONTWAIT);
        if (n > 0)
        {
            _filled = (int)n;
            _clientDrained = n < _buffer.Length;
            return true;
        }
        if (n < 0 && LinuxSockets.Errno == LinuxSockets.EAGAIN)
        {
            ReturnBuffer(); // a silent connection holds no buffer while it waits
            return false;
        }
        return true; // the end of the stream or an error: ReadHead meets it again and answers it
    }

    // ------------------------------------------------------------------ loop events

    public void OnEvents(int side, uint events)
    {
        const uint readable = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR;
        if (_handedOver)
        {
            // Handed over, not yet adopted (the handler runs on another thread): pass the edges on to the relay.
            if ((events & readable) != 0)
            {
                if (side == 0)
                    _handedSlot!.ClientEdgeMissed = true;
                else
                    _handedSlot!.BackendEdgeMissed = true;
            }
            return;
        }
        if (side == 1)
        {
            if (_backend is { Pending: true } backend)
                backend.OnEvents(events);
            else if ((events & readable) != 0)
                _backendEdgeMissed = true; // the relay must read the backend first
            return;
        }
        if (_state != State.Head && (events & readable) != 0)
            _clientEdgeMissed = true;
        switch (_state)
        {
            case State.Head:
                if ((events & readable) != 0) // not the writability registering reports at once
                    ReadHead();
                break;
            case State.Responding or State.Upgrading:
                if ((events & (LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP)) != 0)
                    ContinueSend();
                break;
            case State.Handling:
                if ((events & (LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
                    ClientGone();
                break;
        }
    }

    public void OnTimer(long due, long now)
    {
        if (_state == State.Head && now >= _headDeadline)
        {
            Close(); // the request head did not arrive in time (slowloris), or a kept-alive connection stayed silent
            return;
        }
        if (_backend is { Pending: true } backend && now >= backend.Deadline)
            backend.OnDeadline();
    }

    public void Fail(Exception e)
    {
        _front.Logger.LogError(e, "Gateway handshake failed");
        _upgrade?.TrySetException(e);
        Close();
    }

    // ------------------------------------------------------------------ request head

    private void AwaitHead(TimeSpan timeout, bool readNow)
    {
        _state = State.Head;
        _headDeadline = RelayLoop.After(timeout);
        _loop.Schedule(_ticket, _headDeadline);
        if (readNow)
            ReadHead();
    }

    private void ReadHead()
    {
        while (_state == State.Head)
        {
            if (_filled > _start)
            {
                bool done;
                try
                {
                    var unread = new ReadOnlySequence<byte>(_buffer!, _start, _filled - _start);
                    done = _reader.TryRead(unread, out var consumed);
                    _start += (int)unread.Slice(0, consumed).Length;
                }
                catch (BadRequest e)
                {
                    Reject(e.Status, e.Message);
                    return;
                }
                catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
                {
                    Reject(e.StatusCode, "Bad request: the HTTP request is malformed.");
                    return;
                }
                if (done)
                {
                    OnHead();
                    return;
                }
            }
            if (!MakeRoom())
            {
                Reject(431, "The request headers are too large.");
                return;
            }
            nint n;
            fixed (byte* p = _buffer)
                n = LinuxSockets.recv(_fd, p + _filled, _buffer!.Length - _filled, LinuxSockets.MSG_DONTWAIT);
            if (n > 0)
            {
                _clientDrained = _filled + n < _buffer!.Length;
                _filled += (int)n;
                continue;
            }
            if (n == 0)
            {
                if (_reader.NothingRead && _filled == _start)
                    Close(); // ended cleanly between requests
                else
                    Reject(400, "The connection ended in the middle of the request head.");
                return;
            }
            var errno = LinuxSockets.Errno;
            if (errno == LinuxSockets.EAGAIN)
                return;
            if (errno != LinuxSockets.EINTR)
            {
                Close();
                return;
            }
        }
    }

    /// <summary>Room for at least one more byte: compacts, or grows the buffer up to <see cref="MaxBuffer"/>.</summary>
    private bool MakeRoom()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            return true;
        }
        if (_filled < _buffer.Length)
            return true;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _filled - _start).CopyTo(_buffer);
            _filled -= _start;
            _start = 0;
            return true;
        }
        if (_buffer.Length >= MaxBuffer)
            return false;
        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _filled).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        return true;
    }

    // ------------------------------------------------------------------ the handler

    private void OnHead()
    {
        _state = State.Handling;
        _head = _reader.Head;
        _aborted = new CancellationTokenSource();
        try
        {
            _context = HandshakeContext.Create(_head, tls: false, _remote, _front.LocalEndPoint, _front.NextConnectionId(), _aborted.Token, _front.Services);
        }
        catch (BadRequest e)
        {
            Reject(e.Status, e.Message);
            return;
        }
        _context.Http.Features.Set<IHttpUpgradeFeature>(this);
        _context.Http.Features.Set<IBackendDialer>(this);
        Task handled;
        try
        {
            handled = _front.Handler.HandleAsync(_context.Http);
        }
        catch (Exception e)
        {
            handled = Task.FromException(e);
        }
        if (handled.IsCompleted)
        {
            OnHandled(handled);
            return;
        }
        // One delegate, run where the handler ends (on this loop, unless a check called out): no continuation task.
        _handling = handled;
        handled.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(AfterHandler);
    }

    private Task? _handling;

    private void AfterHandler()
    {
        var handled = _handling!;
        _handling = null;
        _loop.RunOrPost(static s => s.Self.OnHandled(s.Handled), (Self: this, Handled: handled));
    }

    private void OnHandled(Task handled)
    {
        if (_handedOver || _state == State.Done)
        {
            if (handled.IsFaulted)
                _front.Logger.LogDebug(handled.Exception, "Gateway connection ended");
            return;
        }
        if (handled.IsFaulted || handled.IsCanceled || _upgradeStarted)
        {
            if (_upgradeStarted || _aborted?.IsCancellationRequested == true)
            {
                Close(); // the client left during the handshake, or the 101 could not be sent
                return;
            }
            _front.Logger.LogError(handled.Exception?.GetBaseException(), "Gateway handshake failed");
            Reject(500, "The gateway failed on this request.");
            return;
        }
        // A refusal: the handler wrote its status, headers and problem body into the context.
        var pending = _context!.RefusalBytesAsync(_head!.Method);
        var bytes = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        var keepAlive = _context.KeepAlive;
        ReleaseRequest();
        StartSend(bytes, keepAlive ? After.NextRequest : After.Close);
    }

    private void ReleaseRequest()
    {
        _context = null;
        _head = null;
        _aborted = null;
        _backend = null;
    }

    /// <summary>The client hung up while the handler runs: cancel what it waits for; its end closes the connection.</summary>
    private void ClientGone()
    {
        _aborted?.Cancel();
        _backend?.Cancel(_aborted?.Token ?? default);
    }

    // ------------------------------------------------------------------ writing

    private void Reject(int status, string message) => StartSend(ResponseWriter.BuildError(status, message), After.Close);

    private void StartSend(byte[] bytes, After after)
    {
        _out = bytes;
        _outPos = 0;
        _after = after;
        _state = after == After.Upgraded ? State.Upgrading : State.Responding;
        ContinueSend();
    }

    private void ContinueSend()
    {
        var error = LinuxSockets.SendRest(_fd, _out!, ref _outPos);
        if (error == LinuxSockets.EAGAIN)
            return; // EPOLLOUT goes on
        if (error != 0)
        {
            _out = null;
            if (_after == After.Upgraded)
            {
                _state = State.Handling; // the handler sees the failed upgrade and ends; OnHandled closes
                _upgrade!.TrySetException(new IOException($"The client went away before the 101 was sent: {LinuxSockets.Describe(error)}."));
            }
            else
            {
                Close();
            }
            return;
        }
        _out = null;
        switch (_after)
        {
            case After.Close:
                Close();
                break;
            case After.NextRequest:
                _reader.Reset();
                _clientEdgeMissed = false;
                AwaitHead(_front.Options.KeepAliveTimeout + _front.Options.HandshakeTimeout, readNow: true); // bytes may be buffered or waiting
                break;
            case After.Upgraded:
                HandOver();
                break;
        }
    }

    // ------------------------------------------------------------------ upgrade feature

    public bool IsUpgradableRequest => _context?.Upgradable == true;

    public Task<Stream> UpgradeAsync()
    {
        var context = _context;
        if (context is null || !context.Upgradable || _upgradeStarted)
            throw new InvalidOperationException("This request cannot be upgraded.");
        _upgradeStarted = true;
        var bytes = UpgradeFeature.SwitchingProtocols(context.Http.Response);
        // No ReleaseHandshakeState: the handler ends when the relay starts (a loop socket), and the hand-over drops the
        // context, the head and their headers at once.
        // Completed on the loop's thread with inline continuations: the handler starts the relay right there.
        var upgrade = new TaskCompletionSource<Stream>();
        _upgrade = upgrade;
        _loop.RunOrPost(static s => s.Self.SendSwitchingProtocols(s.Bytes, s.Upgrade), (Self: this, Bytes: bytes, Upgrade: upgrade));
        return upgrade.Task;
    }

    private void SendSwitchingProtocols(byte[] bytes, TaskCompletionSource<Stream> upgrade)
    {
        if (_state == State.Done)
            upgrade.TrySetException(new IOException("The client went away during the handshake."));
        else
            StartSend(bytes, After.Upgraded);
    }

    /// <summary>The 101 is out: the client's socket (and any bytes it sent early) go to the relay, which takes this slot.</summary>
    private void HandOver()
    {
        var leftover = _filled > _start ? _buffer.AsSpan(_start, _filled - _start).ToArray() : [];
        ReturnBuffer();
        var (loop, slot, fd, backend) = (_loop, _slot, _fd, _backend);
        var backendFd = backend?.HandedFd ?? -1;
        var front = new FrontSlot(loop, slot, fd, backendFd)
        {
            ClientEdgeMissed = _clientEdgeMissed || !_clientDrained,
            BackendEdgeMissed = _backendEdgeMissed || backend is null || !backend.Drained,
        };
        _handedSlot = front;
        _state = State.Done;
        _handedOver = true;
        _ticket.Detach(); // its time-outs no longer apply: the relay's do
        var upgrade = _upgrade!;
        _upgrade = null;
        ReleaseRequest();
        upgrade.SetResult(new FrontSocketStream(fd, leftover, front));
    }

    // ------------------------------------------------------------------ backend dialer

    public Task<BackendHandshakeResult> ConnectAsync(BackendRequest request, TimeSpan connectTimeout, CancellationToken ct)
    {
        var endpoint = request.Endpoint;
        // The loop connects plain ws:// backends, by address or by name (resolved off the loop and kept a while); TLS
        // backends take .NET's sockets.
        if (endpoint.Scheme is not ("ws" or "http"))
            return _front.FallbackDialer.ConnectAsync(request, connectTimeout, ct);
        var port = endpoint.Port > 0 ? endpoint.Port : 80;
        // Built before connecting, as the connector does, so a bad header fails fast.
        var head = BackendConnector.BuildRequestHead(request, endpoint, port, tls: false);
        var host = endpoint.IdnHost;
        return _front.Addresses.TryGet(host, out var addresses)
            ? Dial(host, addresses, port, head, connectTimeout, ct)
            : ResolveThenDial(host, port, head, connectTimeout, ct);
    }

    private Task<BackendHandshakeResult> ResolveThenDial(string host, int port, byte[] head, TimeSpan connectTimeout, CancellationToken ct) =>
        _front.Addresses.ResolveThenAsync(host, port, connectTimeout, ct, (found, left) => Dial(host, found, port, head, left, ct));

    private Task<BackendHandshakeResult> Dial(string host, IPAddress[] addresses, int port, byte[] head, TimeSpan connectTimeout, CancellationToken ct)
    {
        var backend = new FrontBackend(_loop, _slot, _front.FallbackDialer.Options.MaxResponseHeaderBytes);
        _loop.RunOrPost(static s => s.Self.StartBackend(s.Backend, s.Host, s.Addresses, s.Port, s.Head, s.ConnectTimeout, s.Ct),
            (Self: this, Backend: backend, Host: host, Addresses: addresses, Port: port, Head: head, ConnectTimeout: connectTimeout, Ct: ct));
        return backend.Result;
    }

    private void StartBackend(FrontBackend backend, string host, IPAddress[] addresses, int port, byte[] head, TimeSpan connectTimeout, CancellationToken ct)
    {
        if (_state != State.Handling || ct.IsCancellationRequested)
        {
            backend.Cancel(ct);
            return;
        }
        _backend = backend;
        backend.Start(host, addresses, port, head, connectTimeout);
        if (backend.Pending)
            _loop.Schedule(_ticket, backend.Deadline);
    }

    // ------------------------------------------------------------------ end

    private void Close()
    {
        if (_state == State.Done)
            return;
        _state = State.Done;
        _ticket.Detach();
        _aborted?.Cancel();
        _backend?.Cancel(_aborted?.Token ?? default);
        // A backend socket still the front's was closed above, which also left the set; one the handler was given (its
        // upgrade then failed) may still be open: take it out, so the freed slot never hears of it. The client's socket
        // leaves the set as it is closed.
        if (_slot >= 0)
            _loop.Unregister(_slot, -1, _backend?.HandedFd ?? -1);
        LinuxSockets.close(_fd);
        ReturnBuffer();
        _upgrade?.TrySetException(new IOException("The client connection closed during the handshake."));
    }

    private void ReturnBuffer()
    {
        if (_buffer is null)
            return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _start = _filled = 0;
    }
}
