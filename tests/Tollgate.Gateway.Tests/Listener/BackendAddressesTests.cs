using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>The loop's backend addresses: literals kept, names resolved off the loop once per lifetime and found again after it.</summary>
public sealed class BackendAddressesTests
{
    private sealed class CountingResolver(params IPAddress[][] answers)
    {
        private int _calls;
        public int Calls => _calls;
        public TaskCompletionSource? Gate { get; set; }

        public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
        {
            var call = Interlocked.Increment(ref _calls);
            if (Gate is { } gate)
                await gate.Task;
            if (host == "no-such-host.invalid")
                throw new SocketException((int)SocketError.HostNotFound);
            return answers[Math.Min(call, answers.Length) - 1];
        }
    }

    [Fact]
    public void An_address_literal_is_known_at_once_without_resolving()
    {
        var resolver = new CountingResolver();
        var addresses = new BackendAddresses(resolver.ResolveAsync);
        Assert.True(addresses.TryGet("127.0.0.1", out var v4));
        Assert.Equal([IPAddress.Loopback], v4);
        Assert.True(addresses.TryGet("::1", out var v6));
        Assert.Equal([IPAddress.IPv6Loopback], v6);
        Assert.Equal(0, resolver.Calls);
    }

    [Fact]
    public async Task A_name_is_resolved_once_for_concurrent_connections_and_then_served_without_waiting()
    {
        var first = new[] { IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2") };
        var resolver = new CountingResolver(first) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var addresses = new BackendAddresses(resolver.ResolveAsync);
        Assert.False(addresses.TryGet("echo.internal", out _));

        var lookups = Enumerable.Range(0, 8).Select(_ => addresses.ResolveAsync("echo.internal", CancellationToken.None)).ToArray();
        resolver.Gate.SetResult();
        foreach (var found in await Task.WhenAll(lookups))
            Assert.Equal(first, found); // in the resolver's order: the loop tries them in that order
        Assert.Equal(1, resolver.Calls);
        Assert.True(addresses.TryGet("ECHO.internal", out var cached)); // host names are case-insensitive
        Assert.Equal(first, cached);
    }

    [Fact]
    public async Task A_name_is_resolved_again_after_its_lifetime_so_a_moved_backend_is_found()
    {
        var before = new[] { IPAddress.Parse("10.0.0.1") };
        var after = new[] { IPAddress.Parse("10.0.0.9") };
        var resolver = new CountingResolver(before, after);
        var addresses = new BackendAddresses(resolver.ResolveAsync, nameLifetime: TimeSpan.FromMilliseconds(200));
        Assert.Equal(before, await addresses.ResolveAsync("echo.internal", CancellationToken.None));
        Assert.True(addresses.TryGet("echo.internal", out _));

        await Task.Delay(400);
        Assert.False(addresses.TryGet("echo.internal", out _));
        Assert.Equal(after, await addresses.ResolveAsync("echo.internal", CancellationToken.None));
        Assert.Equal(2, resolver.Calls);
    }

    [Fact]
    public async Task With_a_zero_lifetime_a_name_is_resolved_for_every_connection()
    {
        var first = new[] { IPAddress.Parse("10.0.0.1") };
        var second = new[] { IPAddress.Parse("10.0.0.2") };
        var resolver = new CountingResolver(first, second);
        var addresses = new BackendAddresses(resolver.ResolveAsync, nameLifetime: TimeSpan.Zero); // --backend-dns-ttl 0
        Assert.Equal(first, await addresses.ResolveAsync("echo.internal", CancellationToken.None));
        Assert.False(addresses.TryGet("echo.internal", out _));
        Assert.Equal(second, await addresses.ResolveAsync("echo.internal", CancellationToken.None));
        Assert.Equal(2, resolver.Calls);
        Assert.True(addresses.TryGet("127.0.0.1", out _)); // literals are still known at once
    }

    [Fact]
    public void The_gateway_passes_its_dns_lifetime_to_the_backend_dialer()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTollgateGateway(new SnapshotHolder(),
            new GatewayOptions(TimeSpan.FromSeconds(5), 1024, 1024, TimeSpan.Zero) { BackendNameLifetime = TimeSpan.FromSeconds(42) },
            new LiveConnections("test"));
        using var provider = services.BuildServiceProvider();
        var dialer = provider.GetRequiredService<BackendConnector>();
        Assert.Equal(TimeSpan.FromSeconds(42), dialer.Options.NameLifetime);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_fails_each_time_and_is_not_kept()
    {
        var resolver = new CountingResolver();
        var addresses = new BackendAddresses(resolver.ResolveAsync);
        var e = await Assert.ThrowsAsync<SocketException>(() => addresses.ResolveAsync("no-such-host.invalid", CancellationToken.None));
        Assert.Equal(SocketError.HostNotFound, e.SocketErrorCode);
        await Assert.ThrowsAsync<SocketException>(() => addresses.ResolveAsync("no-such-host.invalid", CancellationToken.None));
        Assert.Equal(2, resolver.Calls);
        Assert.False(addresses.TryGet("no-such-host.invalid", out _));
    }

    [Fact]
    public void The_cache_is_bounded()
    {
        var addresses = new BackendAddresses();
        for (var i = 0; i < BackendAddresses.MaxHosts * 3; i++)
            Assert.True(addresses.TryGet($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", out _));
        Assert.InRange(addresses.Count, 1, BackendAddresses.MaxHosts);
    }
}
