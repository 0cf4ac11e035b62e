using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Gateway.Connections;

/// <summary>
/// The open connections of this gateway node. When a new snapshot arrives, every connection is
/// re-checked against it, so revoking a token, blocking an API or removing a subscription closes
/// live sockets (1008) instead of letting them outlive the decision. A once-a-second sweep closes
/// connections whose token has expired.
/// </summary>
internal sealed class LiveConnectionRegistry : IDisposable
{
    public const ushort PolicyViolation = 1008;
    public const ushort GoingAway = 1001;

    private readonly ConcurrentDictionary<long, LiveConnection> _connections = new();
    private readonly ConcurrentDictionary<System.Net.IPAddress, int> _perClient = new();
    private readonly ILogger<LiveConnectionRegistry> _logger;
    private readonly ThrottleService? _throttling;
    private readonly Timer _expirySweep;
    private readonly TimeSpan _tokenExpiryGrace;
    private long _nextId;
    private ClosingAll? _closingAll; // set by CloseAll: the gateway is going away

    private sealed record ClosingAll(ushort Code, string Reason);

    public LiveConnectionRegistry(SnapshotHolder snapshots, ILogger<LiveConnectionRegistry> logger, ThrottleService? throttling = null, GatewayOptions? options = null)
    {
        _logger = logger;
        _tokenExpiryGrace = options?.TokenExpiryGrace ?? TimeSpan.Zero;
        _throttling = throttling;
        snapshots.Swapped += Recheck;
        _expirySweep = new Timer(_ => CloseExpired(DateTime.UtcNow), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _expirySweep.Dispose();

    internal void CloseExpired(DateTime now)
    {
        foreach (var connection in _connections.Values)
        {
            if (connection.IsClosing)
                continue;
            if (connection.Throttle?.Rules is { MaxDuration: { } max, DurationReason: var why } && now - connection.OpenedAt >= max)
            {
                _logger.LogInformation("Closing connection {Id} to {Api} of application {Application}: {Reason}",
                    connection.Id, connection.Route.Label, connection.Identity.ApplicationName, why);
                connection.Close(PolicyViolation, why ?? "connection duration limit reached");
                continue;
            }
            // DateTime.MaxValue (API keys, authorization URL) never expires; the grace must not overflow it.
            if (connection.Identity.TokenExpiresAt == DateTime.MaxValue || connection.Identity.TokenExpiresAt + _tokenExpiryGrace > now)
                continue;
            _logger.LogInformation("Closing connection {Id} to {Api} of application {Application}: token expired",
                connection.Id, connection.Route.Label, connection.Identity.ApplicationName);
            connection.Close(PolicyViolation, "token expired");
        }
    }

    public int Count => _connections.Count;

    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>
    /// Registers an open connection. One that completes its handshake after <see cref="CloseAll"/> (the gateway is shutting
    /// down while it was connecting its backend) is closed at once with the same code, so it too gets its 1001.
    /// </summary>
    public void Add(LiveConnection connection)
    {
        _connections[connection.Id] = connection;
        // After the insert: either CloseAll's sweep sees this connection or this read sees its flag (Close is idempotent).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _closingAll) is { } all)
            connection.Close(all.Code, all.Reason);
    }

    public void Remove(long id) => _connections.TryRemove(id, out _);

    /// <summary>Takes one of a client address's connection slots; false when it already has <paramref name="max"/>.</summary>
    public bool TryReserveClient(System.Net.IPAddress? address, int max)
    {
        if (max <= 0 || address is null)
            return true;
        while (true)
        {
            var current = _perClient.GetOrAdd(address, 0);
            if (current >= max)
                return false;
            if (_perClient.TryUpdate(address, current + 1, current))
                return true;
        }
    }

    public void ReleaseClient(System.Net.IPAddress? address, int max)
    {
        if (max <= 0 || address is null)
            return;
        while (_perClient.TryGetValue(address, out var current))
        {
            if (current <= 1 ? _perClient.TryRemove(KeyValuePair.Create(address, current)) : _perClient.TryUpdate(address, current - 1, current))
                return;
        }
    }

    public IReadOnlyCollection<LiveConnection> All => _connections.Values.ToArray();

    public LiveConnection? Find(long id) => _connections.TryGetValue(id, out var c) ? c : null;

    public void CloseAll(ushort code, string reason)
    {
        Volatile.Write(ref _closingAll, new ClosingAll(code, reason));
        Interlocked.MemoryBarrier();
        foreach (var connection in _connections.Values)
            connection.Close(code, reason);
    }

    private void Recheck(GatewaySnapshot snapshot)
    {
        foreach (var connection in _connections.Values)
        {
            if (connection.IsClosing)
                continue;
            if (HandshakeValidator.WhyNoLongerAllowed(snapshot, connection.Route, connection.Identity) is not { } why)
            {
                // Still allowed: its plan or policies may have changed, and apply from the next message.
                if (connection.Throttle is { } throttle)
                    _throttling?.Refresh(throttle, snapshot, connection.Route, connection.Identity, connection.Id);
                continue;
            }
            _logger.LogInformation("Closing connection {Id} to {Api} of application {Application}: {Reason}",
                connection.Id, connection.Route.Label, connection.Identity.ApplicationName, why);
            connection.Close(PolicyViolation, why);
        }
    }
}
