using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// The backend side of a handshake on the front: a non-blocking connect to a ws:// backend's addresses (tried in order,
/// as .NET's sockets try a name's addresses), the upgrade request, and the backend's answer read and judged by the same
/// rules as <see cref="BackendConnector"/>, all on the loop's thread with the socket in the handshake's slot (side 1),
/// where the relay later finds it.
/// </summary>
internal sealed unsafe class FrontBackend(RelayLoop loop, int slot, int maxResponseHeaderBytes)
{
    private enum Phase : byte { Connecting, Sending, Reading, Done }

    private readonly TaskCompletionSource<BackendHandshakeResult> _result = new();
    private Phase _phase;
    private int _fd = -1;
    private IPAddress[] _addresses = [];
    private int _next;
    private string _host = "";
    private int _port;
    private byte[] _request = [];
    private int _sent;
    private byte[]? _buffer;
    private int _filled;
    private TimeSpan _timeout;

    public Task<BackendHandshakeResult> Result => _result.Task;

    /// <summary>When the connect, request and answer must be done by (<see cref="RelayLoop.Now"/> ticks).</summary>
    public long Deadline { get; private set; }

    public bool Pending => _phase != Phase.Done;

    /// <summary>The last read of the answer was short: nothing more was waiting on the socket then.</summary>
    public bool Drained { get; private set; }

    /// <summary>The descriptor registered in the slot and handed to the handler inside the upgraded stream; -1 until then.</summary>
    public int HandedFd { get; private set; } = -1;

    /// <summary>Connects to <paramref name="addresses"/> in order (the next one after a refusal) within one <paramref name="timeout"/>.</summary>
    public void Start(string host, IPAddress[] addresses, int port, byte[] request, TimeSpan timeout)
    {
        _host = host;
        _addresses = addresses;
        _port = port;
        _request = request;
        _timeout = timeout;
        Deadline = RelayLoop.After(timeout);
        Connect();
    }

    private void Connect()
    {
        var ip = _addresses[_next++];
        var family = ip.AddressFamily == AddressFamily.InterNetwork ? LinuxSockets.AF_INET : LinuxSockets.AF_INET6;
        _fd = LinuxSockets.socket(family, LinuxSockets.SOCK_STREAM | LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC, 0);
        if (_fd < 0)
        {
            Finish(Unreachable(LinuxSockets.Errno));
            return;
        }
        int one = 1;
        LinuxSockets.setsockopt(_fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, &one, sizeof(int));
        try
        {
            loop.AddBackend(slot, _fd);
        }
        catch (IOException e)
        {
            Finish(BackendHandshakeResult.Unreachable($"cannot connect to {Where}: {e.Message}"));
            return;
        }
        var address = stackalloc byte[SocketAddresses.MaxLength];
        var length = SocketAddresses.Write(ip, _port, new Span<byte>(address, SocketAddresses.MaxLength));
        if (LinuxSockets.connect(_fd, address, length) == 0)
        {
            _phase = Phase.Sending;
            Send();
            return;
        }
        var errno = LinuxSockets.Errno;
        if (errno != LinuxSockets.EINPROGRESS)
        {
            ConnectFailed(errno);
            return;
        }
        SendWhileConnecting();
    }

    /// <summary>
    /// A backend on this host or nearby has often answered the connect before it returns: the request goes now, instead of
    /// one round of the loop later. EAGAIN with nothing sent means the connect is still under way: EPOLLOUT (or an error)
    /// then says when it is over, as before; an error is the connect's own.
    /// </summary>
    private void SendWhileConnecting()
    {
        var error = LinuxSockets.SendRest(_fd, _request, ref _sent);
        if (error == LinuxSockets.EAGAIN)
        {
            if (_sent > 0)
                _phase = Phase.Sending;
            return;
        }
        if (error != 0)
        {
            if (_sent > 0)
                Finish(Failed(error));
            else
                ConnectFailed(error);
            return;
        }
        AwaitAnswer();
    }

    /// <summary>This address refused or cannot be reached: the next one, or the last error.</summary>
    private void ConnectFailed(int errno)
    {
        if (_next < _addresses.Length)
        {
            LinuxSockets.close(_fd); // also leaves the epoll set; the next socket takes the slot's side
            _fd = -1;
            Connect();
            return;
        }
        Finish(Unreachable(errno));
    }

    // The host (and, for a name, the address tried last) only for messages: no string per connection otherwise.
    private string Where
    {
        get
        {
            var tried = _addresses.Length > 0 ? _addresses[Math.Max(0, _next - 1)] : null;
            return tried is null || tried.ToString() == _host ? $"{_host}:{_port}" : $"{_host}:{_port} ({tried})";
        }
    }

    private BackendHandshakeResult Unreachable(int errno) =>
        BackendHandshakeResult.Unreachable($"cannot connect to {Where}: {LinuxSockets.Describe(errno)}");

    public void OnEvents(uint events)
    {
        switch (_phase)
        {
            case Phase.Connecting:
                if ((events & (LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP)) == 0)
                    return;
                int error = 0, size = sizeof(int);
                LinuxSockets.getsockopt(_fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, &error, &size);
                if (error != 0)
                {
                    ConnectFailed(error);
                    return;
                }
                _phase = Phase.Sending;
                Send();
                return;
            case Phase.Sending:
                Send();
                return;
            case Phase.Reading:
                // Not the writability that the connect's end reports after a request sent while connecting.
                if ((events & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP)) != 0)
                    Read();
                return;
        }
    }

    public void OnDeadline() =>
        Finish(BackendHandshakeResult.TimedOut($"backend {Where} did not complete the handshake within {_timeout.TotalMilliseconds:0} ms"));

    /// <summary>The client went away or the handshake ended: drop the backend connection; the dialer's caller sees a cancellation.</summary>
    public void Cancel(CancellationToken token)
    {
        if (_phase == Phase.Done)
            return;
        CloseSocket();
        _result.TrySetCanceled(token);
    }

    private void Send()
    {
        var error = LinuxSockets.SendRest(_fd, _request, ref _sent);
        if (error == LinuxSockets.EAGAIN)
            return;
        if (error != 0)
        {
            Finish(Failed(error));
            return;
        }
        AwaitAnswer();
    }

    /// <summary>The whole request is out. The answer cannot be there yet: wait for its edge instead of a read that would find nothing.</summary>
    private void AwaitAnswer()
    {
        _phase = Phase.Reading;
        _buffer = ArrayPool<byte>.Shared.Rent(maxResponseHeaderBytes);
    }

    private void Read()
    {
        var buffer = _buffer!.AsSpan(0, maxResponseHeaderBytes);
        while (true)
        {
            if (_filled < buffer.Length)
            {
                nint n;
                fixed (byte* p = buffer)
                    n = LinuxSockets.recv(_fd, p + _filled, buffer.Length - _filled, LinuxSockets.MSG_DONTWAIT);
                if (n == 0)
                {
                    Finish(BackendConnector.ConnectionEnded);
                    return;
                }
                if (n < 0)
                {
                    var errno = LinuxSockets.Errno;
                    if (errno == LinuxSockets.EAGAIN)
                        return;
                    if (errno == LinuxSockets.EINTR)
                        continue;
                    Finish(Failed(errno));
                    return;
                }
                _filled += (int)n;
                Drained = _filled < buffer.Length; // a short read took everything the socket held
            }
            if (HttpResponseHead.FindEnd(buffer[.._filled]) < 0 && _filled < buffer.Length)
                continue;
            // The whole head (or a full buffer, which Interpret refuses): judge it.
            var stream = new FrontSocketStream(_fd, [], front: null);
            var result = BackendConnector.Interpret(buffer, _filled, stream)!;
            if (result.Outcome == BackendOutcome.Upgraded)
            {
                HandedFd = _fd;
                _fd = -1;
                Finish(result);
            }
            else
            {
                _fd = -1;
                stream.Dispose(); // closing the descriptor also takes it out of the epoll set
                Finish(result);
            }
            return;
        }
    }

    private BackendHandshakeResult Failed(int errno) =>
        BackendHandshakeResult.Refused(502, $"backend {Where} failed during the handshake: {LinuxSockets.Describe(errno)}");

    private void Finish(BackendHandshakeResult result)
    {
        if (_phase == Phase.Done)
            return;
        CloseSocket();
        // Continuations run inline: the handler goes on to the client's 101 on this thread.
        _result.TrySetResult(result);
    }

    private void CloseSocket()
    {
        _phase = Phase.Done;
        if (_fd >= 0)
        {
            LinuxSockets.close(_fd); // also leaves the epoll set
            _fd = -1;
        }
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
