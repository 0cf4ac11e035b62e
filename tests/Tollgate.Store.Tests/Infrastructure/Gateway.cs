using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Tollgate.Store.Tests.Infrastructure;

/// <summary>A real WebSocket client of a gateway.</summary>
public static class Gateway
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The HTTP status of the handshake (101 when accepted; the socket is closed again at once).</summary>
    public static async Task<int> HandshakeAsync(string url, string token)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await ws.ConnectAsync(new Uri(url), cts.Token);
        }
        catch (WebSocketException)
        {
            return (int)ws.HttpStatusCode;
        }
        await CloseQuietlyAsync(ws);
        return (int)HttpStatusCode.SwitchingProtocols;
    }

    /// <summary>Polls the handshake until it answers <paramref name="status"/>; returns how long that took (or fails after <paramref name="within"/>).</summary>
    public static async Task<TimeSpan> WaitForHandshakeAsync(string url, string token, int status, TimeSpan within, Stopwatch since)
    {
        var last = 0;
        while (true)
        {
            last = await HandshakeAsync(url, token);
            if (last == status)
                return since.Elapsed;
            if (since.Elapsed > within)
                throw new Xunit.Sdk.XunitException($"{url} still answered {last} (not {status}) {since.Elapsed.TotalSeconds:0.0} s after the change");
            await Task.Delay(50);
        }
    }

    public static async Task<ClientWebSocket> ConnectAsync(string url, string token)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using var cts = new CancellationTokenSource(Timeout);
        await ws.ConnectAsync(new Uri(url), cts.Token);
        return ws;
    }

    public static async Task AssertEchoAsync(ClientWebSocket ws, string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[64 * 1024];
        var received = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    /// <summary>Reads until the server closes the connection; returns its close status.</summary>
    public static async Task<WebSocketCloseStatus?> WaitForCloseAsync(ClientWebSocket ws, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await ws.ReceiveAsync(buffer, cts.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                    return received.CloseStatus;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the gateway did not close the connection within {within.TotalSeconds} s");
        }
    }

    public static async Task CloseQuietlyAsync(ClientWebSocket ws)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (ws.State == WebSocketState.Open)
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }
}
