using System.Net.Sockets;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>
/// The upgraded client connection once the transport let its socket go: a socket loop relays the socket itself
/// (<see cref="ISocketSource"/>); the stream relay (a wss:// backend, or loops turned off) reads it as a stream, the
/// handshake's leftover bytes first.
/// </summary>
internal sealed class HandedOverStream(Socket socket, byte[] leftover) : NetworkStream(socket, ownsSocket: true), ISocketSource
{
    private ReadOnlyMemory<byte> _unread = leftover;

    public int Fd => (int)Socket.Handle;

    public IDisposable Owner => Socket;

    public ReadOnlyMemory<byte> Leftover => leftover;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_unread.IsEmpty)
            return base.ReadAsync(buffer, cancellationToken);
        if (buffer.IsEmpty)
            return ValueTask.FromResult(0); // a zero-byte read: data is here already
        var n = Math.Min(buffer.Length, _unread.Length);
        _unread.Span[..n].CopyTo(buffer.Span);
        _unread = _unread[n..];
        return ValueTask.FromResult(n);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (_unread.IsEmpty)
            return base.Read(buffer);
        var n = Math.Min(buffer.Length, _unread.Length);
        _unread.Span[..n].CopyTo(buffer);
        _unread = _unread[n..];
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
}
