using System.Buffers;
using System.IO.Pipelines;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// The upgraded client connection as a stream straight over Kestrel's transport pipes: no HTTP layer in between.
/// A zero-byte read waits for data without taking a buffer (the relay's idle connections rely on it).
/// </summary>
internal sealed class TransportStream(IDuplexPipe transport) : Stream, Relay.IPipeSource
{
    private readonly PipeReader _input = transport.Input;
    private readonly PipeWriter _output = transport.Output;
    private int _disposed;

    public PipeReader Input => _input;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (result.IsCanceled)
                throw new OperationCanceledException();
            if (buffer.IsEmpty)
            {
                _input.AdvanceTo(data.Start); // data is there (or the end): consume nothing
                return 0;
            }
            if (data.IsEmpty)
            {
                _input.AdvanceTo(data.End);
                if (result.IsCompleted)
                    return 0;
                continue;
            }
            var n = (int)Math.Min(buffer.Length, data.Length);
            var slice = data.Slice(0, n);
            slice.CopyTo(buffer.Span);
            _input.AdvanceTo(slice.End);
            return n;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
            throw new IOException("the client connection is closed");
        if (result.IsCanceled)
            throw new OperationCanceledException();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _output.CompleteAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
