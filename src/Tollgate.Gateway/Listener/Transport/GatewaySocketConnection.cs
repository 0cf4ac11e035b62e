using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.Gateway.Listener.Transport;

/// <summary>
/// One accepted connection: pipes over a <see cref="NetworkStream"/> that read and write only when the handler does, so
/// no I/O is outstanding between the handshake's reads and the socket can be handed over (<see cref="ISocketHandover"/>).
/// </summary>
internal sealed class GatewaySocketConnection : ConnectionContext, ISocketHandover
{
    // Handshakes are small: 4 KiB reads; a request head is bounded by the listener's own limit.
    private static readonly StreamPipeReaderOptions ReaderOptions = new(MemoryPool<byte>.Shared, bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(MemoryPool<byte>.Shared, minimumBufferSize: 4096, leaveOpen: true);

    private readonly Socket _socket;
    private readonly ObservedStream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private int _handedOver;
    private int _disposed;

    public GatewaySocketConnection(Socket socket, long id)
    {
        _socket = socket;
        _stream = new ObservedStream(socket, _closed);
        _input = PipeReader.Create(_stream, ReaderOptions);
        _output = PipeWriter.Create(_stream, WriterOptions);
        Transport = new DuplexPipe(_input, _output);
        ConnectionId = $"gw-{id}";
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Features.Set<ISocketHandover>(this);
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get => _closed.Token; set { } }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    public (Socket Socket, byte[] Leftover)? TakeSocket()
    {
        if (Interlocked.Exchange(ref _handedOver, 1) != 0)
            return null;
        byte[] leftover = [];
        if (_input.TryRead(out var result))
        {
            leftover = result.Buffer.ToArray();
            _input.AdvanceTo(result.Buffer.End);
        }
        return (_socket, leftover);
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Volatile.Read(ref _handedOver) != 0)
            return; // the relay owns the socket now
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        Cancel();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        if (Volatile.Read(ref _handedOver) == 0)
            _socket.Dispose();
        Cancel();
        _closed.Dispose();
    }

    private void Cancel()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Trips <see cref="ConnectionClosed"/> when a read finds the end of the connection or fails.</summary>
    private sealed class ObservedStream(Socket socket, CancellationTokenSource closed) : NetworkStream(socket, ownsSocket: false)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                var n = await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0 && !buffer.IsEmpty)
                    Trip();
                return n;
            }
            catch (IOException)
            {
                Trip();
                throw;
            }
        }

        private void Trip()
        {
            try
            {
                closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
