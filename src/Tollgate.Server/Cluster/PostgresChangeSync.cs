using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Npgsql;
using Tollgate.Core.Changes;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store;

namespace Tollgate.Server.Cluster;

/// <summary>
/// Keeps several control planes of one PostgreSQL store in step. After a local change it bumps a counter and sends
/// <c>NOTIFY tollgate_changes</c>; a listener on its own connection hears the other control planes' notices and rebuilds
/// this one's snapshot (after reloading the revocations it caches) without announcing anything itself, so two control planes
/// never echo each other. Notices sent while the listener was reconnecting are lost by PostgreSQL: the listener rebuilds
/// once after each (re)connection, and every <see cref="PollInterval"/> it rebuilds when the counter moved for changes it
/// heard no notice of.
/// </summary>
internal sealed class PostgresChangeSync(
    StoreInfo store,
    ChangeFeed changes,
    RevocationList revocations,
    ILogger<PostgresChangeSync> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>The application name of the listening connection.</summary>
    public const string ListenerName = "Tollgate change listener";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Names this process in its notices, so it ignores its own.</summary>
    private readonly string _instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}";

    private readonly Channel<long> _outbox = Channel.CreateBounded<long>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    /// <summary>Counter values this process knows the origin of (its own, or heard in a notice) and so needs no poll rebuild for.</summary>
    private readonly ConcurrentDictionary<long, byte> _known = new();

    private long _remoteRebuilds;

    /// <summary>How many times another control plane's change made this one rebuild (for tests and logs).</summary>
    public long RemoteRebuilds => Interlocked.Read(ref _remoteRebuilds);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Coalesced: one notice tells the others "rebuild", however many changes it stands for.
        changes.ChangedLocally += version => _outbox.Writer.TryWrite(version);
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(AnnounceAsync(stoppingToken), ListenAsync(stoppingToken));

    /// <summary>Bumps the counter and notifies, for each burst of local changes; retries with back-off while the store is away.</summary>
    private async Task AnnounceAsync(CancellationToken ct)
    {
        await using var source = NpgsqlDataSource.Create(store.ConnectionString);
        await foreach (var _ in _outbox.Reader.ReadAllAsync(ct))
        {
            var delay = TimeSpan.FromSeconds(1);
            while (true)
            {
                try
                {
                    await using var command = source.CreateCommand(
                        $"WITH c AS (SELECT nextval('{PostgresStore.ChangeCounter}') AS v) SELECT v, pg_notify('{PostgresStore.ChangeChannel}', @instance || ':' || v) FROM c");
                    command.Parameters.AddWithValue("instance", _instance);
                    var counter = (long)(await command.ExecuteScalarAsync(ct))!;
                    _known.TryAdd(counter, 0);
                    break;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // Never fatal: a failing announcement must not stop the control plane (the others' poll still sees the counter).
                    logger.LogWarning("Cannot tell the other control planes of a change ({Error}); retrying in {Delay} s", e.Message, delay.TotalSeconds);
                    await Task.Delay(delay, ct);
                    delay = Min(delay * 2, MaxBackoff);
                }
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(store.ConnectionString)
        {
            // A dead peer is noticed by the keep-alive even while no notice flows.
            KeepAlive = 10,
            Pooling = false,
            // Tells this connection apart in pg_stat_activity (an operator, or a test, can find and cut it).
            ApplicationName = ListenerName,
        };
        var delay = TimeSpan.FromSeconds(1);
        var connectedBefore = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                var heard = false;
                connection.Notification += (_, e) =>
                {
                    if (e.Payload.StartsWith(_instance + ":", StringComparison.Ordinal))
                        return;
                    if (long.TryParse(e.Payload.AsSpan(e.Payload.LastIndexOf(':') + 1), out var counter))
                        _known.TryAdd(counter, 0);
                    heard = true;
                };
                await connection.OpenAsync(ct);
                await ExecuteAsync(connection, $"LISTEN {PostgresStore.ChangeChannel}", ct);
                if (connectedBefore)
                    logger.LogInformation("Listening again for other control planes' changes");
                else
                    logger.LogInformation("Listening for other control planes' changes on PostgreSQL");
                connectedBefore = true;
                delay = TimeSpan.FromSeconds(1);

                // Whatever changed before LISTEN took effect is caught by one rebuild now.
                var seen = await CounterAsync(connection, ct);
                await RebuildAsync("after connecting", ct);
                var nextPoll = DateTime.UtcNow + PollInterval;
                while (true)
                {
                    // Notices also arrive while this connection runs the poll, so look before waiting.
                    if (heard)
                    {
                        heard = false;
                        await RebuildAsync("notified", ct);
                    }
                    if (DateTime.UtcNow >= nextPoll)
                    {
                        var now = await CounterAsync(connection, ct);
                        if (Missed(seen, now))
                            await RebuildAsync("the change counter moved without a notice", ct);
                        seen = now;
                        nextPoll = DateTime.UtcNow + PollInterval;
                        continue;
                    }
                    await connection.WaitAsync(Max(nextPoll - DateTime.UtcNow, TimeSpan.FromMilliseconds(10)), ct);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Lost the PostgreSQL connection that hears other control planes' changes ({Error}); reconnecting in {Delay} s",
                    e.Message, delay.TotalSeconds);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
                delay = Min(delay * 2, MaxBackoff);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>True when a counter value in (<paramref name="from"/>, <paramref name="to"/>] came with no notice this process heard.</summary>
    private bool Missed(long from, long to)
    {
        var missed = to - from > 10_000;
        for (var v = from + 1; v <= to && !missed; v++)
            missed = !_known.ContainsKey(v);
        foreach (var v in _known.Keys)
            if (v <= to)
                _known.TryRemove(v, out _);
        return missed;
    }

    /// <summary>Reloads what this process caches from the store, then rebuilds the snapshot without announcing a change.</summary>
    private async Task RebuildAsync(string why, CancellationToken ct)
    {
        try
        {
            await revocations.RefreshAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Reloading the revocation list failed ({Error}); the snapshot is rebuilt with the one in memory", e.Message);
        }
        var version = changes.NotifyRemote();
        Interlocked.Increment(ref _remoteRebuilds);
        logger.LogDebug("Another control plane changed the store ({Why}): rebuilding the gateway snapshot (change {Version})", why, version);
    }

    private static async Task<long> CounterAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {PostgresStore.ChangeCounter}", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
