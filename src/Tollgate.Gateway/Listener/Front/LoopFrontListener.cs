using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>
/// Kestrel's view of the plain gateway port when the loops serve it (<see cref="LoopFront"/>): bound and unbound with the
/// rest of the gateway, but it never yields a connection to Kestrel; every loop accepts on the socket itself.
/// </summary>
internal sealed class LoopFrontListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopFront _front;
    private int _closed;

    public LoopFrontListener(Socket socket, Func<IPEndPoint, LoopFront> front)
    {
        _socket = socket;
        socket.Blocking = false; // each loop accepts until EAGAIN; an accepted socket does not inherit this (Linux)
        EndPoint = socket.LocalEndPoint!;
        _front = front((IPEndPoint)EndPoint);
        var loopFront = _front;
        foreach (var loop in RelayLoops.All)
            loop.RunOrPost(() => loop.AddListener((int)socket.Handle, () => loopFront.Accept(loop, socket)));
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        await _unbound.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        _front.Stop();
        // Every loop lets the socket go before it is closed, so no loop is left accepting on a reused descriptor.
        var removed = RelayLoops.All.Select(loop =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            loop.RunOrPost(() =>
            {
                loop.RemoveListener((int)_socket.Handle);
                done.SetResult();
            });
            return done.Task;
        }).ToArray();
        await Task.WhenAll(removed).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        _socket.Dispose();
        _unbound.TrySetResult();
    }

    public async ValueTask DisposeAsync() => await UnbindAsync().ConfigureAwait(false);
}
