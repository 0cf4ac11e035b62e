using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>A message the gateway pushes to a client lands between the backend's messages, never inside one.</summary>
public sealed class PushTests
{

    [Fact]
    public async Task A_push_waits_for_the_end_of_a_fragmented_backend_message()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = WebSocketRelay.Start(clientRelayEnd, backendRelayEnd, default, new RelayOptions(), new RelayCounters());

        // The backend starts a message in two fragments and pauses between them.
        await backend.SendAsync("part one, "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, default);
        await Task.Delay(200);
        Assert.False(await relay.SendToClientAsync("pushed"u8.ToArray(), text: true), "a push must not land inside the backend's message");
        await backend.SendAsync("part two"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        await Task.Delay(200);
        Assert.True(await relay.SendToClientAsync("pushed"u8.ToArray(), text: true));

        Assert.Equal("part one, part two", await ReceiveTextAsync(client));
        Assert.Equal("pushed", await ReceiveTextAsync(client));
        Assert.Equal(2, relay.Counters.MessagesOut);
    }

    private static async Task<string> ReceiveTextAsync(WebSocket ws)
    {
        var buffer = new byte[1024];
        var text = new StringBuilder();
        ValueWebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
        } while (!r.EndOfMessage);
        return text.ToString();
    }
}
