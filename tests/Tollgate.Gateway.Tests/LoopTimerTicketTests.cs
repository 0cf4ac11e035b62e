using System.Runtime.CompilerServices;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// A finished loop relay must not stay reachable through its pending entry in the loop's timer queue (the idle check is
/// due long after the connection ended): on a busy gateway that kept thousands of dead connections alive into gen 2.
/// </summary>
public sealed class LoopTimerTicketTests
{
    [Fact]
    public async Task A_finished_loop_relay_is_collectable_before_its_idle_check_is_due()
    {
        var relay = await RunAndFinishAsync();
        for (var i = 0; i < 5 && relay.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }
        Assert.False(relay.IsAlive, "the finished relay is still reachable (its timer entry holds it until the idle check, an hour away)");
    }

    /// <summary>Not inlined, so no local of the test keeps the relay alive.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunAndFinishAsync()
    {
        var (clientNear, clientFar) = await LoopbackPair.CreateAsync();
        var (backendNear, backendFar) = await LoopbackPair.CreateAsync();
        // An idle time-out an hour away: the relay's one timer entry is due long after this test.
        var options = new RelayOptions { IdleTimeout = TimeSpan.FromHours(1) };
        var relay = RelayEngines.Start(RelayEngine.Loop, clientFar, backendNear, ReadOnlyMemory<byte>.Empty, options, new RelayCounters());
        // Both peers drop their connections: the relay ends.
        clientNear.Dispose();
        backendFar.Dispose();
        await relay.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        return new WeakReference(relay);
    }
}
