using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>A message the gateway pushes to a client lands between the backend's messages, never inside one.</summary>
public abstract class PushTests
{
    protected abstract RelayEngine Engine { get; }


    [Fact]
    public async Task A_push_waits_for_the_end_of_a_fragmented_backend_message()
    {
        var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
        using var client = WebSocket.CreateFromStream(clientEnd, isServer: false, subProtocol: null, Timeout.InfiniteTimeSpan);
        using var backend = WebSocket.CreateFromStream(backendEnd, isServer: true, subProtocol: null, Timeout.InfiniteTimeSpan);
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, new RelayOptions(), new RelayCounters());

        // The backend starts a message in two fragments; once the client has the first, the relay is inside that message.
        await backend.SendAsync("part one, "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, default);
        var first = await ReceiveFragmentAsync(client);
        Assert.Equal(("part one, ", false), first);
        Assert.False(await relay.SendToClientAsync("pushed"u8.ToArray(), text: true), "a push must not land inside the backend's message");

        await backend.SendAsync("part two"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        Assert.Equal(("part two", true), await ReceiveFragmentAsync(client));
        // After the message the push goes through (callers retry while the client is busy, as the admin API does).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!await relay.SendToClientAsync("pushed"u8.ToArray(), text: true))
        {
            Assert.True(DateTime.UtcNow < deadline, "the push never got through after the backend's message ended");
            await Task.Delay(10);
        }
        Assert.Equal(("pushed", true), await ReceiveFragmentAsync(client));
        Assert.Equal(2, relay.Counters.MessagesOut);
    }

    private static async Task<(string Text, bool EndOfMessage)> ReceiveFragmentAsync(WebSocket ws)
    {
        var buffer = new byte[1024];
        var r = await ws.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return (Encoding.UTF8.GetString(buffer, 0, r.Count), r.EndOfMessage);
    }
}

public sealed class PushTestsOnStreamRelay : PushTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class PushTestsOnSocketLoop : PushTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
