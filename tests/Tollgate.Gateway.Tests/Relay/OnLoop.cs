using Tollgate.Gateway.Relay.Loop;

namespace Tollgate.Gateway.Tests.Relay;

/// <summary>Runs test code on a loop's thread (where the loop's state may be touched) and brings its result back.</summary>
internal static class OnLoop
{
    public static Task<T> RunAsync<T>(RelayLoop loop, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e); // an assertion made on the loop fails the test, not the loop
            }
        });
        return done.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    public static Task RunAsync(RelayLoop loop, Action work) => RunAsync(loop, () =>
    {
        work();
        return true;
    });
}

/// <summary>A timer owner with no sockets that ignores everything.</summary>
internal sealed class NoOpOwner : ILoopSocketOwner
{
    public void OnEvents(int side, uint events)
    {
    }

    public void OnTimer(long due, long now)
    {
    }

    public void Fail(Exception e)
    {
    }
}
