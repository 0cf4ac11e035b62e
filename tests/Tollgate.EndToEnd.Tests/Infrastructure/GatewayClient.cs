using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>The outcome of a WebSocket opening handshake against the gateway.</summary>
public sealed record Handshake(HttpStatusCode Status, IReadOnlyDictionary<string, IEnumerable<string>> Headers, string? Error)
{
    public int Code => (int)Status;

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } v
            ? string.Join(", ", v)
            : null;

    public override string ToString() => $"HTTP {(int)Status} {Status}{(Error is null ? "" : $" ({Error})")}";
}

/// <summary>ClientWebSocket helpers for the gateway (plain ws:// on loopback).</summary>
public static class GatewayClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static ClientWebSocket NewSocket(string? bearer)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        if (bearer is not null) ws.Options.SetRequestHeader("Authorization", $"Bearer {bearer}");
        return ws;
    }

    /// <summary>Connects and returns the open socket; fails the test with the handshake status otherwise.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(string url, string? bearer)
    {
        var ws = NewSocket(bearer);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await ws.ConnectAsync(new Uri(url), cts.Token);
            return ws;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            var status = ws.HttpStatusCode;
            ws.Dispose();
            throw new Xunit.Sdk.XunitException(
                $"WebSocket handshake to {Redact(url)} failed: HTTP {(int)status} {status}: {e.Message}");
        }
    }

    /// <summary>Opens a handshake and reports its status; a 101 connection is closed right away.</summary>
    public static async Task<Handshake> TryHandshakeAsync(string url, string? bearer, Action<ClientWebSocketOptions>? configure = null)
    {
        using var ws = NewSocket(bearer);
        configure?.Invoke(ws.Options);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await ws.ConnectAsync(new Uri(url), cts.Token);
            var result = new Handshake(ws.HttpStatusCode, ws.HttpResponseHeaders ?? new Dictionary<string, IEnumerable<string>>(), null);
            await CloseQuietlyAsync(ws);
            return result;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            return new Handshake(ws.HttpStatusCode, ws.HttpResponseHeaders ?? new Dictionary<string, IEnumerable<string>>(), e.Message);
        }
    }

    /// <summary>Polls the handshake until <paramref name="done"/> holds or the time is up; returns the last outcome and elapsed time.</summary>
    public static async Task<(Handshake Last, TimeSpan Elapsed)> PollHandshakeAsync(
        string url, string? bearer, Func<Handshake, bool> done, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var h = await TryHandshakeAsync(url, bearer);
            if (done(h) || sw.Elapsed > within) return (h, sw.Elapsed);
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The contract gives control-plane changes (new keys, subscriptions, lifecycle) up to a second to reach the
    /// gateway: waits (up to 2 s) until the gateway knows the route, the key and the subscription, i.e. answers
    /// something other than 401/403/404. Returns the last handshake; the caller asserts on it.
    /// </summary>
    public static async Task<Handshake> WaitUntilDeployedAsync(string url, string? bearer)
    {
        var (last, _) = await PollHandshakeAsync(url, bearer,
            h => h.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound),
            TimeSpan.FromSeconds(2));
        return last;
    }

    /// <summary>Waits (up to 2 s) for the gateway to accept the connection and fails with the last refusal otherwise.</summary>
    public static async Task WaitUntilAcceptedAsync(string url, string? bearer)
    {
        var (last, elapsed) = await PollHandshakeAsync(url, bearer, h => h.Status == HttpStatusCode.SwitchingProtocols, TimeSpan.FromSeconds(2));
        Assert.True(last.Status == HttpStatusCode.SwitchingProtocols,
            $"the gateway still refuses {Redact(url)} {elapsed.TotalSeconds:0.0} s after the API was published and subscribed: {last}");
    }

    public static async Task SendTextAsync(ClientWebSocket ws, string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
    }

    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(ClientWebSocket ws)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close)
                throw new Xunit.Sdk.XunitException(
                    $"The gateway closed the WebSocket instead of sending a message: {r.CloseStatus} {r.CloseStatusDescription}");
            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, ms.ToArray());
        }
    }

    /// <summary>Sends a text frame and asserts the same text comes back.</summary>
    public static async Task AssertEchoAsync(ClientWebSocket ws, string text)
    {
        await SendTextAsync(ws, text);
        var (type, data) = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, Encoding.UTF8.GetString(data));
    }

    /// <summary>Sends <paramref name="size"/> random bytes as one binary message and asserts the same bytes come back.</summary>
    public static async Task AssertBinaryEchoAsync(ClientWebSocket ws, int size)
    {
        var sent = new byte[size];
        Random.Shared.NextBytes(sent);
        using (var cts = new CancellationTokenSource(Timeout))
            await ws.SendAsync(sent, WebSocketMessageType.Binary, true, cts.Token);
        var (type, data) = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(sent, data);
    }

    /// <summary>Closes with <paramref name="code"/> and asserts the close handshake came back with the same code.</summary>
    public static async Task CloseAndAssertCodeAsync(ClientWebSocket ws, int code, string reason)
    {
        using (var cts = new CancellationTokenSource(Timeout))
            await ws.CloseAsync((WebSocketCloseStatus)code, reason, cts.Token);
        Assert.Equal((WebSocketCloseStatus)code, ws.CloseStatus);
    }

    /// <summary>Connects, checks the echo of one text message and closes normally.</summary>
    public static async Task AssertEchoesAsync(string url, string? bearer, string text = "hello tollgate")
    {
        using var ws = await ConnectAsync(url, bearer);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, ws.HttpStatusCode);
        await AssertEchoAsync(ws, text);
        await CloseQuietlyAsync(ws);
    }

    public static async Task CloseQuietlyAsync(ClientWebSocket ws)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            if (ws.State == WebSocketState.Open)
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    private static string Redact(string url)
    {
        var i = url.IndexOf("access_token=", StringComparison.Ordinal);
        return i < 0 ? url : url[..(i + "access_token=".Length)] + "…";
    }
}
