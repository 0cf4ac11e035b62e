using System.Net.Sockets;
using System.Net.WebSockets;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>
/// A loop that wakes with several connections ready reads them all, then writes for each (LoopSends): every message still
/// arrives whole and in order, in both directions.
/// </summary>
public sealed class LoopSendsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public void Sends_are_batched_unless_told_inline()
    {
        Assert.True(LoopSends.Batched); // the test process does not set TOLLGATE_RELAY_SENDS
        Assert.True(LoopSends.Read(null));
        Assert.True(LoopSends.Read("batched"));
        Assert.False(LoopSends.Read(" Inline "));
    }

    [Fact]
    public async Task Connections_ready_in_one_wake_up_write_at_its_end_and_every_message_arrives_in_order()
    {
        const int connections = 8, rounds = 5, perRound = 3;
        var pairs = new List<(WebSocket Client, WebSocket Backend, IRelayConnection Relay)>();
        for (var i = 0; i < connections; i++)
        {
            var (clientEnd, clientRelayEnd) = await LoopbackPair.CreateAsync();
            var (backendRelayEnd, backendEnd) = await LoopbackPair.CreateAsync();
            var relay = RelayEngines.Start(RelayEngine.Loop, clientRelayEnd, backendRelayEnd, default, new RelayOptions(), new RelayCounters());
            pairs.Add((WebSocket.CreateFromStream(clientEnd, isServer: false, null, Timeout.InfiniteTimeSpan),
                WebSocket.CreateFromStream(backendEnd, isServer: true, null, Timeout.InfiniteTimeSpan), relay));
        }
        long before = RelayLoops.All.Sum(l => l.BatchedSends);

        for (var round = 0; round < rounds; round++)
        {
            // Hold every loop while all clients and backends write, so its next wake-up finds them all ready at once.
            var held = RelayLoops.All.Select(loop => OnLoop.RunAsync(loop, () => Thread.Sleep(100))).ToArray();
            await Task.WhenAll(pairs.Select(async (p, i) =>
            {
                for (var m = 0; m < perRound; m++)
                {
                    await p.Client.SendAsync(Message("up", i, round, m), WebSocketMessageType.Binary, true, default);
                    await p.Backend.SendAsync(Message("down", i, round, m), WebSocketMessageType.Binary, true, default);
                }
            }));
            await Task.WhenAll(held);
            await Task.WhenAll(pairs.Select(async (p, i) =>
            {
                for (var m = 0; m < perRound; m++)
                {
                    Assert.Equal(Message("up", i, round, m), await ReceiveAsync(p.Backend));
                    Assert.Equal(Message("down", i, round, m), await ReceiveAsync(p.Client));
                }
            })).WaitAsync(Wait);
        }

        // Each held round woke the loops with several connections ready: at least one write waited for the end of them.
        Assert.True(RelayLoops.All.Sum(l => l.BatchedSends) - before >= rounds, "no write waited for the end of a wake-up's events");
        foreach (var (client, backend, relay) in pairs)
        {
            Assert.Equal(rounds * perRound, relay.Counters.MessagesIn);
            var closed = backend.ReceiveAsync(new byte[16], default);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", default);
            Assert.Equal(WebSocketMessageType.Close, (await closed.WaitAsync(Wait)).MessageType);
            await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", default);
            Assert.Equal((ushort?)1000, (await relay.Completion.WaitAsync(Wait)).CloseCode);
        }
    }

    private static byte[] Message(string direction, int connection, int round, int index) =>
        System.Text.Encoding.UTF8.GetBytes($"{direction} {connection} {round} {index} " + new string('x', 40 + index * 700));

    private static async Task<byte[]> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, default).WaitAsync(Wait);
        Assert.True(result.EndOfMessage);
        return buffer[..result.Count];
    }
}
