using System.Net;
using System.Net.Sockets;
using System.Text;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Listener.Front;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>
/// The loop front's own backend connect over real loopback sockets: a name's addresses are tried in order, as .NET's
/// sockets try them, and a refusal of one moves on to the next.
/// </summary>
public sealed class FrontBackendTests
{
    [Fact]
    public async Task A_refused_address_moves_on_to_the_next_and_the_upgrade_completes_there()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOneUpgradeAsync(listener);

        // 127.0.0.2 is local too, but nothing listens there on this port: the kernel refuses at once.
        var result = await DialAsync("echo.internal", [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback], port);

        Assert.Equal(BackendOutcome.Upgraded, result.Outcome);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", result.GetHeader("Sec-WebSocket-Accept"));
        var request = await served.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.StartsWith("GET /echo HTTP/1.1\r\n", request);
        Assert.Contains($"\r\nHost: echo.internal:{port}\r\n", request);
        result.Stream!.Dispose();
    }

    [Fact]
    public async Task When_every_address_refuses_the_error_names_the_host_and_the_address_tried_last()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await DialAsync("echo.internal", [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], port);

        Assert.Equal(BackendOutcome.Unreachable, result.Outcome);
        Assert.Contains($"cannot connect to echo.internal:{port} (127.0.0.3)", result.Error);
    }

    [Fact]
    public async Task A_backend_that_accepts_during_the_connect_call_gets_the_request_before_the_loop_waits_again()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOneUpgradeAsync(listener);
        var arrivedWhileLoopHeld = false;

        // The loop is held right after the connect: a request that waited for the connect's EPOLLOUT could not arrive.
        var result = await DialAsync("127.0.0.1", [IPAddress.Loopback], port,
            afterStart: () => arrivedWhileLoopHeld = served.Wait(TimeSpan.FromSeconds(5)));

        Assert.True(arrivedWhileLoopHeld, "the request must go out with the connect on a loopback backend, not one loop round later");
        Assert.Equal(BackendOutcome.Upgraded, result.Outcome);
        Assert.StartsWith("GET /echo HTTP/1.1\r\n", await served);
        result.Stream!.Dispose();
    }

    /// <summary>Runs one <see cref="FrontBackend"/> in a slot of a real loop, as a handshake on the front does.</summary>
    /// <param name="afterStart">Runs on the loop's thread right after the connect started, before the loop waits again.</param>
    private static async Task<BackendHandshakeResult> DialAsync(string host, IPAddress[] addresses, int port, Action? afterStart = null)
    {
        var loop = RelayLoops.All[0];
        var placeholder = LinuxSockets.eventfd(0, LinuxSockets.EFD_CLOEXEC | LinuxSockets.EFD_NONBLOCK); // the slot's client side
        var owner = new BackendOnly();
        var head = Encoding.ASCII.GetBytes(
            $"GET /echo HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        var slot = -1;
        loop.Post(() =>
        {
            slot = loop.Reserve(owner, placeholder);
            owner.Backend = new FrontBackend(loop, slot, 16 * 1024);
            owner.Backend.Start(host, addresses, port, head, TimeSpan.FromSeconds(10));
            afterStart?.Invoke();
            owner.Started.SetResult();
        });
        await owner.Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        try
        {
            return await owner.Backend!.Result.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            loop.Post(() =>
            {
                loop.Unregister(slot, placeholder, owner.Backend!.HandedFd);
                LinuxSockets.close(placeholder);
                done.SetResult();
            });
            await done.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    private static async Task<string> ServeOneUpgradeAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n\r\n"))
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0)
                break;
            received.AddRange(buffer.AsSpan(0, n));
        }
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
        return Encoding.ASCII.GetString(received.ToArray());
    }

    private sealed class BackendOnly : ILoopSocketOwner
    {
        public FrontBackend? Backend { get; set; }
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnEvents(int side, uint events)
        {
            if (side == 1)
                Backend?.OnEvents(events);
        }

        public void OnTimer(long due, long now)
        {
        }

        public void Fail(Exception e) => Started.TrySetException(e);
    }
}
