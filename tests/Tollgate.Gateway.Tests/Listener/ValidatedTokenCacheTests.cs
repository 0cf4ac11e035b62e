using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Applications;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Tests.Listener;

public sealed class ValidatedTokenCacheTests
{
    private static readonly TokenTrust Trust = new("https://issuer", "gateway", new SymmetricSecurityKey(new byte[32]));
    private static readonly DateTime Now = new(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);

    private static ValidatedToken Token(DateTime expires) =>
        new(Guid.NewGuid(), "ck", "alice", "jti-1", Now.AddMinutes(-1), expires, KeyType.Production);

    [Fact]
    public void The_same_token_text_under_the_same_trust_is_found()
    {
        var cache = new ValidatedTokenCache();
        var validated = Token(Now.AddHours(1));
        cache.Add(Trust, "a.b.c", validated);
        Assert.True(cache.TryGet(Trust, "a.b.c", Now, out var found));
        Assert.Same(validated, found);
        Assert.False(cache.TryGet(Trust, "a.b.d", Now, out _));
    }

    [Fact]
    public void A_token_is_found_by_its_text_inside_the_header_it_came_in()
    {
        var cache = new ValidatedTokenCache();
        var validated = Token(Now.AddHours(1));
        cache.Add(Trust, "a.b.c", validated);
        var header = "Bearer a.b.c";
        Assert.True(cache.TryGet(Trust, header.AsSpan(7), Now, out var found));
        Assert.Same(validated, found);
        Assert.False(cache.TryGet(Trust, header.AsSpan(6), Now, out _)); // " a.b.c": the exact text only
    }

    [Fact]
    public void An_expired_token_is_not_served_from_the_cache()
    {
        var cache = new ValidatedTokenCache();
        cache.Add(Trust, "a.b.c", Token(Now.AddSeconds(10)));
        Assert.True(cache.TryGet(Trust, "a.b.c", Now.AddSeconds(9), out _));
        Assert.False(cache.TryGet(Trust, "a.b.c", Now.AddSeconds(10), out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_new_signing_key_drops_every_entry()
    {
        var cache = new ValidatedTokenCache();
        cache.Add(Trust, "a.b.c", Token(Now.AddHours(1)));
        var rotated = Trust with { SigningKey = new SymmetricSecurityKey(new byte[32]) };
        Assert.False(cache.TryGet(rotated, "a.b.c", Now, out _));
        cache.Add(rotated, "x.y.z", Token(Now.AddHours(1)));
        Assert.False(cache.TryGet(Trust, "x.y.z", Now, out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        var cache = new ValidatedTokenCache(capacity: 100);
        for (var i = 0; i < 1_000; i++)
            cache.Add(Trust, $"token-{i}", Token(Now.AddHours(1)));
        Assert.InRange(cache.Count, 1, 100);
    }
}
