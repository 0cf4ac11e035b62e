using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Listener.Transport;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// The front of <see cref="RelayProxy"/> on the loop engine: accepts a socket, reads the HTTP/1.1 upgrade request head
/// itself, connects the backend as RelayProxy does, answers 101 and hands the socket (with any bytes the client sent past
/// the head) to the relay as a <see cref="HandedOverStream"/>, as the gateway's own transport does after the upgrade.
/// </summary>
internal sealed class RawUpgradeFront : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _handlers = new();
    private readonly ConcurrentDictionary<IRelayConnection, byte> _live = new();
    private readonly BackendConnector _connector;
    private readonly Uri _backend;
    private readonly RelayOptions _options;
    private readonly ChannelWriter<IRelayConnection> _connections;
    private Task _acceptLoop = Task.CompletedTask;

    private RawUpgradeFront(BackendConnector connector, Uri backend, RelayOptions options, ChannelWriter<IRelayConnection> connections)
    {
        _connector = connector;
        _backend = backend;
        _options = options;
        _connections = connections;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri WsUri(string path) => new($"ws://127.0.0.1:{Port}{path}");

    public static RawUpgradeFront Start(BackendConnector connector, Uri backend, RelayOptions options, ChannelWriter<IRelayConnection> connections)
    {
        var front = new RawUpgradeFront(connector, backend, options, connections);
        front._listener.Start();
        front._acceptLoop = front.AcceptLoopAsync();
        return front;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            var handler = HandleAsync(socket);
            _handlers[handler] = 0;
            _ = handler.ContinueWith(t => _handlers.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket socket)
    {
        var handedOver = false;
        try
        {
            var (head, leftover) = await ReadHeadAsync(socket, _stop.Token);
            if (head is null)
                return;
            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            var requestHeaders = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0)
                    requestHeaders.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
            string? Header(string name) => requestHeaders.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
            if (requestLine is not ["GET", _, "HTTP/1.1"]
                || Header("Upgrade")?.Contains("websocket", StringComparison.OrdinalIgnoreCase) != true
                || Header("Connection")?.Contains("upgrade", StringComparison.OrdinalIgnoreCase) != true)
            {
                await AnswerAsync(socket, "400 Bad Request");
                return;
            }

            var headers = RelayProxy.ForwardedHeaders(requestHeaders, ((IPEndPoint)socket.RemoteEndPoint!).Address);
            var request = new BackendRequest(_backend, RelayProxy.BackendTarget(_backend, requestLine[1]), headers);
            var result = await _connector.ConnectAsync(request, RelayProxy.ConnectTimeout, _stop.Token);
            if (result.Outcome != BackendOutcome.Upgraded)
            {
                await AnswerAsync(socket, result.Outcome == BackendOutcome.TimedOut ? "504 Gateway Timeout" : "502 Bad Gateway");
                return;
            }
            var response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n");
            foreach (var (name, value) in result.ResponseHeaders)
            {
                if (RelayProxy.PassedResponseHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
                    response.Append(name).Append(": ").Append(value).Append("\r\n");
            }
            response.Append("\r\n");
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(response.ToString()), SocketFlags.None, _stop.Token);
            }
            catch
            {
                result.Stream!.Dispose();
                throw;
            }

            // No abort token, as the gateway: the loop takes connections whose abort cannot be cancelled.
            var relay = WebSocketRelay.Start(new HandedOverStream(socket, leftover), result.Stream!, result.Leftover, _options, new RelayCounters());
            handedOver = true;
            _live[relay] = 0;
            _connections.TryWrite(relay);
            await relay.Completion;
            _live.TryRemove(relay, out _);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // The client went away during the handshake, or the front is stopping: the client's connect fails.
        }
        finally
        {
            if (!handedOver)
                socket.Dispose();
        }
    }

    /// <summary>The request head up to its blank line, and the bytes read past it; a null head if the client left first.</summary>
    private static async Task<(string? Head, byte[] Leftover)> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0)
                return (null, []);
            filled += n;
            int end = buffer.AsSpan(0, filled).IndexOf(EndOfHead);
            if (end >= 0)
                return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + EndOfHead.Length)..filled]);
        }
        return (null, []);
    }

    private async Task AnswerAsync(Socket socket, string status) =>
        await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None, _stop.Token);

    /// <summary>Stops accepting, ends handshakes in progress, closes live relays and waits for them (bounded).</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        foreach (var relay in _live.Keys)
            relay.RequestClose(1001, "front stopped");
        try
        {
            await Task.WhenAll(_handlers.Keys).WaitAsync(_options.CloseHandshakeTimeout + TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A relay past its close handshake time-out drops both sockets itself.
        }
        _stop.Dispose();
    }
}
