using Tollgate.Core.Changes;

namespace Tollgate.Store.Tests;

/// <summary>Local changes are announced to the other control planes; changes heard from them are applied but not announced again.</summary>
public sealed class ChangeFeedTests
{
    [Fact]
    public async Task A_local_change_is_rebuilt_and_announced_a_remote_one_only_rebuilt()
    {
        var feed = new ChangeFeed();
        var rebuilt = new List<long>();
        var announced = new List<long>();
        feed.Changed += v => { rebuilt.Add(v); feed.MarkApplied(v); };
        feed.ChangedLocally += announced.Add;

        await feed.NotifyAndWaitAsync();
        var remote = feed.NotifyRemote();
        await feed.NotifyAndWaitAsync();

        Assert.Equal([1L, 2L, 3L], rebuilt);
        Assert.Equal([1L, 3L], announced);
        Assert.Equal(2, remote);
        Assert.Equal(3, feed.Version);
        Assert.Equal(3, feed.Applied);
    }
}
