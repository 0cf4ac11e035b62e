using System.Net.Sockets;
using Tollgate.Gateway.Listener.Transport;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// A socket the loop front accepted or connected, as the handler sees it (a stream): for the socket loop just its
/// descriptor (<see cref="ISocketSource"/>); a .NET <see cref="Socket"/> is made only if something reads or writes it as a
/// stream (the stream relay, for a wss:// backend), since wrapping a descriptor costs .NET eight system calls to learn
/// what it is.
/// </summary>
/// <remarks>
/// Not a <see cref="SafeSocketHandle"/> until then either: disposing one that no Socket owns closes abortively (SO_LINGER 0,
/// a reset instead of the FIN a relay that ended its close handshake must send).
/// </remarks>
internal sealed class FrontSocketStream(int fd, byte[] leftover, FrontSlot? front) : Stream, ISocketSource
{
    private HandedOverStream? _stream;
    private int _closed;

    public int Fd => fd;
    /// <summary>The stream itself: disposing it closes the .NET Socket if one was made, else the descriptor.</summary>
    public IDisposable Owner => this;
    public ReadOnlyMemory<byte> Leftover => leftover;
    public FrontSlot? Front => front;
    public bool MayBeOnDotNetEngine => _stream is not null;

    private HandedOverStream Inner
    {
        get
        {
            if (_stream is null)
            {
                LinuxSockets.fcntl(Fd, LinuxSockets.F_SETFL, 0); // .NET's blocking-mode Socket expects a blocking descriptor
                _stream = new HandedOverStream(new Socket(new SafeSocketHandle(Fd, ownsHandle: true)), leftover);
            }
            return _stream;
        }
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => Inner.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(buffer, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(buffer, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_stream is not null)
                _stream.Dispose();
            else
                CloseDescriptor();
        }
        base.Dispose(disposing);
    }

    private void CloseDescriptor()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
            LinuxSockets.close(fd); // a graceful close: the FIN goes after anything still queued
    }
}
