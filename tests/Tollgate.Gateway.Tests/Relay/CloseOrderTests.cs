using System.Diagnostics;
using System.Net.Sockets;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>
/// Who closes the TCP connections after a clean close handshake, on both relay engines (RFC 6455 7.1.1: the server first).
/// The gateway is the client's server, so it closes the client's connection at once; it is the backend's client, so it
/// leaves the backend's connection for the backend to close, and closes it itself only after a short wait.
/// Raw frames on both sides, so each TCP close is seen exactly when it happens.
/// </summary>
public abstract class CloseOrderTests
{
    protected abstract RelayEngine Engine { get; }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly RelayOptions Options = new() { CloseHandshakeTimeout = TimeSpan.FromSeconds(5) };

    // Close 1000 "bye": masked from the client, plain from the backend.
    private static readonly byte[] ClientClose = [0x88, 0x85, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2, (byte)'b' ^ 3, (byte)'y' ^ 4, (byte)'e' ^ 1];
    private static readonly byte[] BackendClose = [0x88, 0x05, 0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e'];

    private async Task<(NetworkStream Client, NetworkStream Backend, IRelayConnection Relay)> StartAsync()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backend) = await LoopbackPair.CreateAsync();
        return (client, backend, RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, Options, new RelayCounters()));
    }

    /// <summary>The client's close frame reaches the backend, and the backend's reaches the client.</summary>
    private static async Task CloseHandshakeAsync(NetworkStream client, NetworkStream backend)
    {
        await client.WriteAsync(ClientClose);
        var atBackend = new byte[ClientClose.Length];
        await backend.ReadExactlyAsync(atBackend).AsTask().WaitAsync(Wait);
        Assert.Equal(ClientClose, atBackend);
        await backend.WriteAsync(BackendClose);
        var atClient = new byte[BackendClose.Length];
        await client.ReadExactlyAsync(atClient).AsTask().WaitAsync(Wait);
        Assert.Equal(BackendClose, atClient);
    }

    [Fact]
    public async Task The_client_is_closed_at_once_and_a_backend_that_keeps_its_end_open_is_closed_after_the_wait()
    {
        var (client, backend, relay) = await StartAsync();
        using var _ = client;
        using var __ = backend;
        var handshake = Stopwatch.StartNew();
        await CloseHandshakeAsync(client, backend); // and the backend keeps its TCP end open

        Assert.Equal(new RelayResult(1000, "bye", RelayCloser.Client, null), await relay.Completion.WaitAsync(Wait));
        Assert.Equal(0, await client.ReadAsync(new byte[1]).AsTask().WaitAsync(Wait)); // the gateway closed the client's end
        var clientClosedAfter = handshake.Elapsed;

        Assert.Equal(0, await backend.ReadAsync(new byte[1]).AsTask().WaitAsync(Wait)); // and, later, the backend's
        var backendClosedAfter = handshake.Elapsed;
        Assert.True(backendClosedAfter - clientClosedAfter >= Options.BackendHangUpWait * 0.8,
            $"client closed after {clientClosedAfter.TotalMilliseconds:0} ms, backend after {backendClosedAfter.TotalMilliseconds:0} ms: "
            + "the gateway must give the backend time to hang up first");
    }

    [Fact]
    public async Task A_backend_that_hangs_up_after_its_close_frame_ends_both_connections()
    {
        var (client, backend, relay) = await StartAsync();
        using var _ = client;
        await CloseHandshakeAsync(client, backend);
        backend.Dispose(); // the backend, the server of that connection, hangs up first

        Assert.Equal(new RelayResult(1000, "bye", RelayCloser.Client, null), await relay.Completion.WaitAsync(Wait));
        Assert.Equal(0, await client.ReadAsync(new byte[1]).AsTask().WaitAsync(Wait));
    }
}

public sealed class CloseOrderTestsOnSocketLoop : CloseOrderTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}

public sealed class CloseOrderTestsOnStreamRelay : CloseOrderTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}
