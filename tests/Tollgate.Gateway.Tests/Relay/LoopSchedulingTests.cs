using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>
/// The loop threads run under SCHED_BATCH (a woken loop does not preempt the thread on its core), and only they do: the
/// policy is per thread, so the rest of the process (the thread pool, Kestrel, the analytics writer) keeps SCHED_OTHER.
/// </summary>
public sealed class LoopSchedulingTests
{
    [Fact]
    public async Task Every_loop_thread_runs_with_sched_batch()
    {
        Assert.True(LoopScheduling.Batch); // the test process does not set TOLLGATE_RELAY_SCHED
        foreach (var loop in RelayLoops.All)
        {
            var seen = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            loop.Post(() => seen.SetResult(LoopScheduling.CurrentThreadIsBatch()));
            Assert.True(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)), "a loop thread is not SCHED_BATCH");
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
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("batch", true)]
    [InlineData("normal", false)]
    [InlineData(" Normal ", false)]
    public void The_setting_is_batch_unless_it_says_normal(string? text, bool batch) =>
        Assert.Equal(batch, LoopScheduling.Read(text));
}
