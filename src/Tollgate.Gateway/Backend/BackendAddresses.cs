using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tollgate.Gateway.Backend;

/// <summary>
/// The addresses of backends, by host. An address literal is parsed once and kept. A name is resolved off the loop
/// (getaddrinfo: /etc/hosts and the system's resolver apply) and kept for a short while (<see cref="DefaultNameLifetime"/>),
/// so the loop connects named backends itself without a lookup per connection — and, unlike a proxy that resolves once
/// at start, finds a backend that moved within that time. Concurrent lookups of one name share a single resolution.
/// Bounded: past <see cref="MaxHosts"/> hosts it starts over.
/// </summary>
internal sealed class BackendAddresses
{
    public static readonly TimeSpan DefaultNameLifetime = TimeSpan.FromSeconds(10);
    public const int MaxHosts = 1024;

    private sealed record Entry(IPAddress[] Addresses, long ExpiresAt);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<Task<IPAddress[]>>> _resolving = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly long _lifetimeTicks;

    /// <param name="resolve">The resolver (default: the system's, <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>).</param>
    /// <param name="nameLifetime">How long a name's addresses are kept (default <see cref="DefaultNameLifetime"/>).</param>
    public BackendAddresses(Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, TimeSpan? nameLifetime = null)
    {
        _resolve = resolve ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
        _lifetimeTicks = (long)((nameLifetime ?? DefaultNameLifetime).TotalSeconds * Stopwatch.Frequency);
    }

    public int Count => _entries.Count;

    /// <summary>The host's addresses if known and fresh (always, for an address literal): no allocation, no wait.</summary>
    public bool TryGet(string host, out IPAddress[] addresses)
    {
        if (_entries.TryGetValue(host, out var entry) && Stopwatch.GetTimestamp() < entry.ExpiresAt)
        {
            addresses = entry.Addresses;
            return true;
        }
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
            Keep(host, new Entry(addresses, long.MaxValue));
            return true;
        }
        addresses = [];
        return false;
    }

    /// <summary>Resolves a name (sharing a resolution already under way). Throws <see cref="SocketException"/> when it has no address.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        if (TryGet(host, out var known))
            return known;
        var lookup = _resolving.GetOrAdd(host, h => new Lazy<Task<IPAddress[]>>(() => ResolveAndKeepAsync(h)));
        return await lookup.Value.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Resolves <paramref name="host"/> within <paramref name="timeout"/>, then runs <paramref name="dial"/> with its addresses
    /// and the time left; a name with no address is a 502, a resolution that outlasts the time-out a 504.
    /// </summary>
    public async Task<BackendHandshakeResult> ResolveThenAsync(string host, int port, TimeSpan timeout, CancellationToken ct,
        Func<IPAddress[], TimeSpan, Task<BackendHandshakeResult>> dial)
    {
        var started = Stopwatch.GetTimestamp();
        IPAddress[] addresses;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            addresses = await ResolveAsync(host, limit.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return BackendHandshakeResult.Unreachable($"cannot connect to {host}:{port}: {e.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return BackendHandshakeResult.TimedOut($"backend {host}:{port} did not complete the handshake within {timeout.TotalMilliseconds:0} ms");
        }
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return await dial(addresses, left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
    }

    private async Task<IPAddress[]> ResolveAndKeepAsync(string host)
    {
        try
        {
            // Not cancelled by one caller: others may be waiting on the same lookup.
            var addresses = await _resolve(host, CancellationToken.None).ConfigureAwait(false);
            if (addresses.Length == 0)
                throw new SocketException((int)SocketError.HostNotFound);
            Keep(host, new Entry(addresses, Stopwatch.GetTimestamp() + _lifetimeTicks));
            return addresses;
        }
        finally
        {
            _resolving.TryRemove(host, out _);
        }
    }

    private void Keep(string host, Entry entry)
    {
        if (_entries.Count >= MaxHosts)
            _entries.Clear();
        _entries[host] = entry;
    }
}
