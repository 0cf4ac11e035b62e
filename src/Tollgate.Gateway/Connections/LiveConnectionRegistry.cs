using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Connections;

/// <summary>
/// The open connections of this gateway node. When a new snapshot arrives, every connection is
/// re-checked against it, so revoking a token, blocking an API or removing a subscription closes
/// live sockets (1008) instead of letting them outlive the decision.
/// </summary>
internal sealed class LiveConnectionRegistry
{
    public const ushort PolicyViolation = 1008;
    public const ushort GoingAway = 1001;

    private readonly ConcurrentDictionary<long, LiveConnection> _connections = new();
    private readonly ILogger<LiveConnectionRegistry> _logger;
    private long _nextId;

    public LiveConnectionRegistry(SnapshotHolder snapshots, ILogger<LiveConnectionRegistry> logger)
    {
        _logger = logger;
        snapshots.Swapped += Recheck;
    }

    public int Count => _connections.Count;

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(LiveConnection connection) => _connections[connection.Id] = connection;

    public void Remove(long id) => _connections.TryRemove(id, out _);

    public IReadOnlyCollection<LiveConnection> All => _connections.Values.ToArray();

    public void CloseAll(ushort code, string reason)
    {
        foreach (var connection in _connections.Values)
            connection.Close(code, reason);
    }

    private void Recheck(GatewaySnapshot snapshot)
    {
        foreach (var connection in _connections.Values)
        {
            if (HandshakeValidator.WhyNoLongerAllowed(snapshot, connection.Route, connection.Identity) is not { } why)
                continue;
            _logger.LogInformation("Closing connection {Id} to {Api} of application {Application}: {Reason}",
                connection.Id, connection.Route.Label, connection.Identity.ApplicationName, why);
            connection.Close(PolicyViolation, why);
        }
    }
}
