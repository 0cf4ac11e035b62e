using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Plans;

namespace Tollgate.Gateway.Throttling.Cluster;

/// <summary>
/// Throttling counters shared by all gateway nodes. The hot path uses the local counters exactly as on a single
/// node (no I/O, no lock added); every <see cref="ClusterThrottlingOptions.SyncInterval"/> one exchange with the
/// control plane sends what this node consumed since the last one and folds in what the other nodes consumed:
/// rates as schedule time (<see cref="RateCounter.AbsorbNs"/>), quotas per window (<see cref="QuotaCounter.AbsorbIn"/>),
/// connections as the other nodes' open count (<see cref="ConnectionCounter.SetOthers"/>).
/// </summary>
/// <remarks>
/// Worst-case over-admission (docs/rest-api.md, Throttling): a node admits what it has not yet heard of. With N nodes,
/// sync interval T and exchange time L, a node hears of another's consumption at most Λ = 2T + L after it happened
/// (up to T until the other sends it, up to T + L until this node reads it back). Each node's bucket therefore counts
/// everything the others admitted more than Λ ago, and what it misses is at most what each other node can admit
/// within Λ: its burst b plus R·Λ. For a rate R with burst b, over any window D the cluster admits at most
/// R·D + b + (N−1)·(b + R·Λ), against R·D + b on one node. Quotas: at most (N−1)·(what one node admits in Λ) over
/// the window's amount. Connections: a node counts the others' connections as of its last exchange, so when
/// connections to several nodes open within Λ of each other, up to (N−1)·max extra may be admitted (every node
/// alone up to max); attempts spaced more than Λ apart are exact. The counts live in the control plane's
/// database; when an exchange fails, each node enforces local limits alone (up to N times a rate cluster-wide).
/// </remarks>
public sealed partial class ClusterThrottleCounterStore : IThrottleCounterStore, IAsyncDisposable
{
    private readonly LocalThrottleCounterStore _local;
    private readonly ICounterSyncTransport _transport;
    private readonly ClusterThrottlingOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<ThrottleCounter, SyncState> _states = new(ReferenceEqualityComparer.Instance);
    private readonly SemaphoreSlim _round = new(1, 1);
    private long _previousExchangeNs; // start of the last successful exchange (this node's clock)
    private bool _previousOk;         // whether the last round succeeded
    private int _state = -1; // -1 not yet known, 0 local limits, 1 shared
    private long _failures;
    private long _exchanges;
    private long _maxExchangeTicks;
    private long _maxGapNs;
    private CancellationTokenSource? _stop;
    private Task? _loop;

    public ClusterThrottleCounterStore(LocalThrottleCounterStore local, ICounterSyncTransport transport, ClusterThrottlingOptions options,
        ILogger<ClusterThrottleCounterStore> logger)
    {
        options.Validate();
        _local = local;
        _transport = transport;
        _options = options;
        _logger = logger;
        ThrottleMetrics.ClusterSync(options.NodeName, 0); // the series exists (0, local) before the first exchange
    }

    public string NodeName => _options.NodeName;

    /// <summary>True while the last exchange succeeded: limits hold across nodes; false: this node enforces local limits.</summary>
    public bool IsShared => Volatile.Read(ref _state) == 1;

    public long FailedExchanges => Interlocked.Read(ref _failures);

    /// <summary>Exchanges that succeeded since the start.</summary>
    public long SuccessfulExchanges => Interlocked.Read(ref _exchanges);

    /// <summary>The longest successful exchange since the start or <see cref="ResetMaxExchangeDuration"/> (the L of the over-admission bound).</summary>
    public TimeSpan MaxExchangeDuration => TimeSpan.FromTicks(Interlocked.Read(ref _maxExchangeTicks));

    /// <summary>
    /// The longest time between the starts of two successful exchanges in a row since the start or
    /// <see cref="ResetMaxExchangeDuration"/>: the sync interval, unless a round or the machine was slower (the T of the bound).
    /// </summary>
    public TimeSpan MaxExchangeGap => TimeSpan.FromTicks(Interlocked.Read(ref _maxGapNs) / 100);

    /// <summary>Starts measuring <see cref="MaxExchangeDuration"/> and <see cref="MaxExchangeGap"/> afresh (e.g. past the first exchange, which opens the connection).</summary>
    public void ResetMaxExchangeDuration()
    {
        Interlocked.Exchange(ref _maxExchangeTicks, 0);
        Interlocked.Exchange(ref _maxGapNs, 0);
    }

    public LocalThrottleCounterStore Local => _local;

    public RateCounter AcquireRate(string key) => _local.AcquireRate(key);

    public QuotaCounter AcquireQuota(string key, LimitPeriod period) => _local.AcquireQuota(key, period);

    public ConnectionCounter AcquireConnections(string key) => _local.AcquireConnections(key);

    public void Release(ThrottleCounter counter) => _local.Release(counter);

    /// <summary>Starts exchanging every sync interval, in the background.</summary>
    public void Start()
    {
        if (_loop is not null)
            throw new InvalidOperationException("The counter sync already runs.");
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public async Task StopAsync()
    {
        if (_stop is null || _loop is null)
            return;
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _stop = null;
        _loop = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Interlocked.Exchange(ref _state, 0) == 1)
            ThrottleMetrics.ClusterSync(_options.NodeName, -1);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        int failedInARow = 0;
        while (!ct.IsCancellationRequested)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                failedInARow = await SyncOnceAsync(ct) ? 0 : failedInARow + 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug, not an outage: keep syncing, and say so.
                LogRoundFailed(_logger, e);
                failedInARow++;
            }
            // While the control plane cannot be reached, retry less often (up to MaxRetryInterval).
            var interval = failedInARow == 0 ? _options.SyncInterval
                : TimeSpan.FromTicks(Math.Min(_options.MaxRetryInterval.Ticks, _options.SyncInterval.Ticks << Math.Min(failedInARow, 16)));
            var wait = interval - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One exchange: sends this node's deltas, folds in the others'. False when it failed (local limits until one succeeds).</summary>
    public async Task<bool> SyncOnceAsync(CancellationToken ct = default)
    {
        await _round.WaitAsync(ct);
        try
        {
            return await RoundAsync(ct);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<bool> RoundAsync(CancellationToken ct)
    {
        long nowNs = ThrottleClock.NowNs();
        var round = Collect(nowNs);
        CounterSyncResponse answer;
        long started = Stopwatch.GetTimestamp();
        try
        {
            answer = await ExchangeAsync(round, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failed(round, e);
            return false;
        }
        Apply(round, answer, nowNs);
        if (_previousOk && nowNs - _previousExchangeNs > Interlocked.Read(ref _maxGapNs))
            Interlocked.Exchange(ref _maxGapNs, nowNs - _previousExchangeNs);
        _previousExchangeNs = nowNs;
        _previousOk = true;
        long took = Stopwatch.GetElapsedTime(started).Ticks;
        if (took > Interlocked.Read(ref _maxExchangeTicks))
            Interlocked.Exchange(ref _maxExchangeTicks, took);
        Interlocked.Increment(ref _exchanges);
        SetState(shared: true, null);
        return true;
    }

    private Round Collect(long nowNs)
    {
        var counters = _local.Counters();
        if (_states.Count > 0)
        {
            var held = new HashSet<ThrottleCounter>(counters, ReferenceEqualityComparer.Instance);
            foreach (var gone in _states.Keys.Where(c => !held.Contains(c)).ToList())
                _states.Remove(gone); // swept by the local store: a new counter under the key starts afresh
        }
        var round = new Round();
        long heartbeatNs = _options.ConnectionHeartbeat.Ticks * 100;
        foreach (var counter in counters)
        {
            if (!_states.TryGetValue(counter, out var state))
                _states[counter] = state = new SyncState();
            switch (counter)
            {
                case RateCounter rate:
                    round.Rates.Add(new RateItem(rate, state, rate.TakeConsumedNs()));
                    break;
                case QuotaCounter quota:
                    var (windowEnd, used) = quota.TakeConsumed();
                    if (windowEnd == 0)
                        break; // never used: no window yet
                    if (state.CarryWindowEnd == windowEnd)
                        used += state.Carry; // not sent while the control plane was away, same window: send it now
                    state.Carry = 0;
                    state.CarryWindowEnd = 0;
                    round.Quotas.Add(new QuotaItem(quota, state, windowEnd, used));
                    break;
                case ConnectionCounter connections:
                    int open = connections.Open;
                    bool report = open != state.Reported || (open > 0 && nowNs - state.ReportedAtNs >= heartbeatNs);
                    round.Connections.Add(new ConnectionItem(connections, state, report ? open : null));
                    break;
            }
        }
        return round;
    }

    private async Task<CounterSyncResponse> ExchangeAsync(Round round, CancellationToken ct)
    {
        var rates = round.Rates.Select(r => new RateDelta(r.Counter.Key, r.Sent)).ToList();
        var quotas = round.Quotas.Select(q => new QuotaDelta(q.Counter.Key, UnixMs(QuotaCounter.Window(q.Counter.Period, q.WindowEnd - 1).Start),
            UnixMs(q.WindowEnd), q.Sent)).ToList();
        var connections = round.Connections.Select(c => new ConnectionReport(c.Counter.Key, c.Report)).ToList();
        // One request per round; a node holding more counters than one request may carry sends several in a row.
        var rateTotals = new List<long>(rates.Count);
        var quotaTotals = new List<long>(quotas.Count);
        var others = new List<int>(connections.Count);
        int r = 0, q = 0, c = 0;
        do
        {
            int room = CounterSyncRequest.MaxEntries;
            var rs = Slice(rates, ref r, ref room);
            var qs = Slice(quotas, ref q, ref room);
            var cs = Slice(connections, ref c, ref room);
            var answer = await _transport.ExchangeAsync(new CounterSyncRequest(_options.NodeName, rs, qs, cs), ct);
            if (answer.Rates.Count != rs.Count || answer.Quotas.Count != qs.Count || answer.Connections.Count != cs.Count)
                throw new CounterSyncException(
                    $"the answer does not match the request ({answer.Rates.Count}/{rs.Count} rates, {answer.Quotas.Count}/{qs.Count} quotas, {answer.Connections.Count}/{cs.Count} connections)");
            rateTotals.AddRange(answer.Rates);
            quotaTotals.AddRange(answer.Quotas);
            others.AddRange(answer.Connections);
        }
        while (r < rates.Count || q < quotas.Count || c < connections.Count);
        return new CounterSyncResponse(rateTotals, quotaTotals, others);
    }

    private static List<T> Slice<T>(List<T> all, ref int from, ref int room)
    {
        int n = Math.Min(room, all.Count - from);
        var part = all.GetRange(from, n);
        from += n;
        room -= n;
        return part;
    }

    private void Apply(Round round, CounterSyncResponse answer, long nowNs)
    {
        // Others' consumption reported now happened since the previous exchange: fold it in from then, not from now.
        long since = _previousExchangeNs;
        for (int i = 0; i < round.Rates.Count; i++)
        {
            var (rate, state, sent) = round.Rates[i];
            var (others, seen) = CounterSyncMath.Rate(state.HasBaseline, state.LastSeen, sent, answer.Rates[i]);
            state.LastSeen = seen;
            state.HasBaseline = true;
            rate.AbsorbNs(others, since);
        }
        for (int i = 0; i < round.Quotas.Count; i++)
        {
            var (quota, state, windowEnd, sent) = round.Quotas[i];
            long total = answer.Quotas[i];
            quota.AbsorbIn(windowEnd, CounterSyncMath.Quota(state.SeenWindowEnd, state.LastSeen, windowEnd, sent, total));
            state.LastSeen = total;
            state.SeenWindowEnd = windowEnd;
        }
        for (int i = 0; i < round.Connections.Count; i++)
        {
            var (connections, state, report) = round.Connections[i];
            connections.SetOthers(answer.Connections[i]);
            if (report is { } count)
            {
                state.Reported = count;
                state.ReportedAtNs = nowNs;
            }
        }
    }

    /// <summary>
    /// Local limits until the next exchange succeeds: the other nodes' connections no longer count; a rate forgets
    /// what it could not send (history does not matter to a rate) and takes a new baseline; a quota keeps what it
    /// could not send for its current window only, and sends it with the next exchange.
    /// </summary>
    private void Failed(Round round, Exception error)
    {
        Interlocked.Increment(ref _failures);
        _previousOk = false;
        ThrottleMetrics.ClusterSyncFailed(_options.NodeName);
        foreach (var (_, state, _) in round.Rates)
            state.HasBaseline = false;
        foreach (var (_, state, windowEnd, sent) in round.Quotas)
        {
            state.Carry = sent;
            state.CarryWindowEnd = windowEnd;
        }
        foreach (var (connections, state, _) in round.Connections)
        {
            connections.SetOthers(0);
            state.Reported = -1; // report again once it answers
        }
        SetState(shared: false, error);
    }

    private void SetState(bool shared, Exception? error)
    {
        int next = shared ? 1 : 0;
        int previous = Interlocked.Exchange(ref _state, next);
        if (previous == next)
            return;
        if (next == 1)
            ThrottleMetrics.ClusterSync(_options.NodeName, 1);
        else if (previous == 1)
            ThrottleMetrics.ClusterSync(_options.NodeName, -1);
        if (shared)
            LogShared(_logger, _options.NodeName, _options.ControlPlane.AbsoluteUri, (int)_options.SyncInterval.TotalMilliseconds);
        else
            LogLocal(_logger, _options.NodeName, error?.Message ?? "unknown error");
    }

    private static long UnixMs(long utcTicks) => (utcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information,
        Message = "Throttling counters of node {Node} are shared with the other gateway nodes through {ControlPlane} (exchanged every {IntervalMs} ms): plan limits hold across the cluster.")]
    private static partial void LogShared(ILogger logger, string node, string controlPlane, int intervalMs);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning,
        Message = "Throttling counters of node {Node} cannot be shared ({Reason}): this node enforces plan limits on its own (local limits) until the control plane answers again.")]
    private static partial void LogLocal(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Error, Message = "Counter sync round failed unexpectedly.")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    private sealed class SyncState
    {
        public bool HasBaseline;
        public long LastSeen;
        public long SeenWindowEnd;
        public long Carry;
        public long CarryWindowEnd;
        public int Reported = -1;
        public long ReportedAtNs;
    }

    private sealed class Round
    {
        public readonly List<RateItem> Rates = [];
        public readonly List<QuotaItem> Quotas = [];
        public readonly List<ConnectionItem> Connections = [];
    }

    private readonly record struct RateItem(RateCounter Counter, SyncState State, long Sent);

    private readonly record struct QuotaItem(QuotaCounter Counter, SyncState State, long WindowEnd, long Sent);

    private readonly record struct ConnectionItem(ConnectionCounter Counter, SyncState State, int? Report);
}
