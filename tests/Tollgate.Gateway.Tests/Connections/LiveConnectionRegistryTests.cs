using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Snapshot;
using static Tollgate.Gateway.Tests.ConnectionFixtures;

namespace Tollgate.Gateway.Tests.Connections;

/// <summary>Shutting down: every connection gets 1001, also one whose handshake completes after the gateway began to go.</summary>
public sealed class LiveConnectionRegistryTests
{
    [Theory]
    [InlineData(RelayEngine.Stream)]
    [InlineData(RelayEngine.Loop)]
    public async Task A_connection_registered_after_shutdown_began_is_closed_with_1001(RelayEngine engine)
    {
        using var registry = new LiveConnectionRegistry(new SnapshotHolder(), NullLogger<LiveConnectionRegistry>.Instance);
        registry.CloseAll(LiveConnectionRegistry.GoingAway, "gateway shutting down");

        // A handshake that was still connecting its backend when the drain swept the registry.
        var (clientNear, clientFar) = await LoopbackPair.CreateAsync();
        var (backendNear, backendFar) = await LoopbackPair.CreateAsync();
        var relay = RelayEngines.Start(engine, clientFar, backendNear, ReadOnlyMemory<byte>.Empty, new RelayOptions(), new RelayCounters());
        var live = new LiveConnection(registry.NextId(), Route, Identity, DateTime.UtcNow, relay);
        registry.Add(live);

        Assert.True(live.IsClosing);
        var frame = new byte[4];
        await clientNear.ReadExactlyAsync(frame).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0x88, frame[0]); // FIN + close, unmasked from the gateway
        Assert.Equal(LiveConnectionRegistry.GoingAway, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)));
        clientNear.Dispose();
        backendFar.Dispose();
        await relay.Completion.WaitAsync(TimeSpan.FromSeconds(15));
    }
}
