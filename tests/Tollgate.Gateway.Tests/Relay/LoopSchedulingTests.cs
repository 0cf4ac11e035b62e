using System.Diagnostics;
using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>
/// The loop threads run under SCHED_BATCH while they only relay (a woken loop does not preempt the thread on its core),
/// under SCHED_OTHER for a short hold after a handshake starts, and only they change policy: the policy is per thread, so
/// the rest of the process (the thread pool, Kestrel, the analytics writer) keeps SCHED_OTHER.
/// </summary>
public sealed class LoopSchedulingTests
{
    [Fact]
    public async Task A_loop_relays_under_sched_batch_and_starts_handshakes_under_sched_other_for_a_short_hold()
    {
        Assert.Equal(LoopSchedulingMode.Adaptive, LoopScheduling.Mode); // the test process does not set TOLLGATE_RELAY_SCHED
        // A loop of its own: the shared loops may be starting other tests' handshakes.
        var hold = TimeSpan.FromSeconds(1);
        var holdTicks = (long)(hold.TotalSeconds * Stopwatch.Frequency);
        var loop = new RelayLoop(92, hold);
        Assert.True(await OnLoop.RunAsync(loop, LoopScheduling.CurrentThreadIsBatch), "a new loop thread is not SCHED_BATCH");

        // A second handshake within the hold extends it past the first one's end. The times are taken on the loop: the
        // test host's continuations can come a second late, so an attempt whose steps did not land inside the holds is
        // run again rather than judged.
        var extended = false;
        for (var attempt = 0; attempt < 5 && !extended; attempt++)
        {
            var first = await OnLoop.RunAsync(loop, () =>
            {
                loop.Policy.HandshakeStarting();
                Assert.False(LoopScheduling.CurrentThreadIsBatch(), "a loop starting a handshake is still SCHED_BATCH");
                return RelayLoop.Now;
            });
            await Task.Delay(hold / 2);
            var second = await OnLoop.RunAsync(loop, () =>
            {
                loop.Policy.HandshakeStarting();
                return RelayLoop.Now;
            });
            await Task.Delay(hold * 3 / 4);
            var (at, batch) = await OnLoop.RunAsync(loop, () => (RelayLoop.Now, LoopScheduling.CurrentThreadIsBatch()));
            if (second - first < holdTicks && at - first > holdTicks && at - second < holdTicks)
            {
                Assert.False(batch, "the hold ended early");
                extended = true;
            }
            // Then the hold's timer wakes the idle loop, which goes back to SCHED_BATCH.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!await OnLoop.RunAsync(loop, LoopScheduling.CurrentThreadIsBatch))
            {
                Assert.True(DateTime.UtcNow < deadline, "the loop did not go back to SCHED_BATCH after the hold");
                await Task.Delay(10);
            }
        }
        Assert.True(extended, "no attempt ran its steps inside the holds");
    }

    [Fact]
    public async Task Every_shared_loop_thread_relays_under_sched_batch_or_holds_sched_other_only_briefly()
    {
        foreach (var loop in RelayLoops.All)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10); // other tests' handshakes may hold a loop under SCHED_OTHER for a while
            while (!await OnLoop.RunAsync(loop, LoopScheduling.CurrentThreadIsBatch))
            {
                Assert.True(DateTime.UtcNow < deadline, "a loop thread stayed out of SCHED_BATCH");
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task Threads_outside_the_loops_keep_the_default_policy()
    {
        _ = RelayLoops.All; // the loops are started
        Assert.False(LoopScheduling.CurrentThreadIsBatch());
        Assert.False(await Task.Run(LoopScheduling.CurrentThreadIsBatch));
    }

    [Theory]
    [InlineData(null, "Adaptive")]
    [InlineData("", "Adaptive")]
    [InlineData("adaptive", "Adaptive")]
    [InlineData("batch", "Batch")]
    [InlineData(" Batch ", "Batch")]
    [InlineData("normal", "Normal")]
    [InlineData(" Normal ", "Normal")]
    public void The_setting_is_adaptive_unless_it_says_batch_or_normal(string? text, string mode) =>
        Assert.Equal(mode, LoopScheduling.Read(text).ToString());
}
