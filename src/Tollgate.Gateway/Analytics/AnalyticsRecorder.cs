using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Tollgate.Core.Analytics;
using Tollgate.Core.Applications;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// Records every handshake outcome and every connection end, aggregated in memory per minute × API × application
/// (messages and bytes in and out as columns), and hands batches to a background writer through a bounded channel.
/// Nothing here runs per message: the relay's lock-free counters are read when a connection ends and, for long
/// connections, at every flush (deltas), so minute series stay right. When the writer falls behind, batches are
/// dropped and counted: traffic is never blocked and memory never grows without limit.
/// </summary>
public sealed class AnalyticsRecorder : IDisposable
{
    internal const string UnknownApi = "unknown";

    private readonly AnalyticsOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly Channel<AnalyticsBatch> _channel;
    private readonly ConcurrentDictionary<long, Track> _open = new();
    private readonly Lock _gate = new();
    private Dictionary<(long Minute, Guid Api, Guid App), Bucket> _buckets = new();
    private List<ConnectionRecord> _records = new();
    private readonly Timer? _timer;
    private long _droppedBatches;
    private long _droppedRecords;

    public AnalyticsRecorder(AnalyticsOptions options, GatewayMetrics metrics)
    {
        _options = options;
        _metrics = metrics;
        _channel = Channel.CreateBounded<AnalyticsBatch>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full channel means "drop and count"
        });
        if (options.Enabled)
            _timer = new Timer(_ => Flush(), null, options.FlushInterval, options.FlushInterval);
    }

    public AnalyticsOptions Options => _options;
    public ChannelReader<AnalyticsBatch> Batches => _channel.Reader;
    public long DroppedBatches => Interlocked.Read(ref _droppedBatches);
    public long DroppedRecords => Interlocked.Read(ref _droppedRecords);
    public int OpenConnections => _open.Count;

    /// <summary>A refused handshake; <paramref name="started"/> is its <see cref="Stopwatch.GetTimestamp"/> at the start.</summary>
    internal void Refused(HttpContext http, Refusal refusal, ApiRoute? route, long started)
    {
        if (!_options.Enabled)
            return;
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var api = route?.Label ?? UnknownApi;
        var result = refusal.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _metrics.Connections.Add(1, new("api", api), new("result", result));
        _metrics.HandshakeSeconds.Record(elapsed / 1000, new KeyValuePair<string, object?>("api", api));
        var now = DateTime.UtcNow;
        var record = new ConnectionRecord(now, route?.ApiId ?? Guid.Empty, api, Guid.Empty, "", "", "",
            http.Connection.RemoteIpAddress?.ToString() ?? "", UserAgent(http), result, refusal.Reason,
            Math.Round(elapsed, 3), Math.Round(elapsed, 3), 0, 0, 0, 0, 0, 0, null, null, null);
        List<ConnectionRecord>? full;
        lock (_gate)
        {
            BucketFor(Minute(now), route?.ApiId ?? Guid.Empty, Guid.Empty).Refused++;
            full = AddRecord(record);
        }
        HandOff(full);
    }

    /// <summary>A connection was upgraded and its relay started; returns the handle to pass to <see cref="Closed"/>.</summary>
    internal Track? Opened(LiveConnection live, HttpContext http, double handshakeMs, double authMs, double backendMs) =>
        Opened(new ConnectionView(live.Id, live.Route, live.Identity, live.Counters, live.Throttle), http, handshakeMs, authMs, backendMs);

    internal Track? Opened(ConnectionView live, HttpContext http, double handshakeMs, double authMs, double backendMs)
    {
        if (!_options.Enabled)
            return null;
        var api = live.Route.Label;
        var track = new Track(live, http.Connection.RemoteIpAddress?.ToString() ?? "", UserAgent(http), handshakeMs, authMs, backendMs);
        _open[live.Id] = track;
        _metrics.Connections.Add(1, new("api", api), new("result", "accepted"));
        _metrics.OpenConnections.Add(1, new KeyValuePair<string, object?>("api", api));
        _metrics.HandshakeSeconds.Record(handshakeMs / 1000, new KeyValuePair<string, object?>("api", api));
        lock (_gate)
            BucketFor(Minute(DateTime.UtcNow), live.Route.ApiId, live.Identity.ApplicationId).Opened++;
        return track;
    }

    internal void Closed(Track? track, RelayResult? result, TimeSpan duration)
    {
        if (track is null)
            return;
        _open.TryRemove(track.Live.Id, out _);
        var live = track.Live;
        _metrics.OpenConnections.Add(-1, new KeyValuePair<string, object?>("api", live.Route.Label));
        var now = DateTime.UtcNow;
        var c = live.Counters;
        var record = new ConnectionRecord(now, live.Route.ApiId, live.Route.Label, live.Identity.ApplicationId, live.Identity.ApplicationName,
            live.Identity.Subscriber, live.Identity.KeyType.ToWire(), track.Client, track.UserAgent, "accepted", null,
            Math.Round(track.HandshakeMs, 3), Math.Round(track.AuthMs, 3), Math.Round(track.BackendMs, 3), Math.Round(duration.TotalMilliseconds, 1),
            c.MessagesIn, c.BytesIn, c.MessagesOut, c.BytesOut,
            result?.CloseCode, result?.CloseReason, ClosedBy(result));
        List<ConnectionRecord>? full;
        lock (_gate)
        {
            var bucket = BucketFor(Minute(now), live.Route.ApiId, live.Identity.ApplicationId);
            Sample(track, bucket);
            bucket.Closed++;
            full = AddRecord(record);
        }
        HandOff(full);
    }

    /// <summary>Samples live connections (deltas since the last sample) and hands what was aggregated to the writer.</summary>
    public void Flush()
    {
        if (!_options.Enabled)
            return;
        var now = DateTime.UtcNow;
        var minute = Minute(now);
        AnalyticsBatch batch;
        lock (_gate)
        {
            var openNow = new Dictionary<(Guid, Guid), int>();
            foreach (var track in _open.Values)
            {
                var key = (track.Live.Route.ApiId, track.Live.Identity.ApplicationId);
                openNow[key] = openNow.GetValueOrDefault(key) + 1;
                Sample(track, BucketFor(minute, key.Item1, key.Item2));
            }
            // Concurrent connections at the end of the minute: the last sample wins; pairs that had traffic this minute but nothing open now say 0.
            foreach (var ((m, api, app), bucket) in _buckets)
                if (m == minute)
                    bucket.OpenAtEnd = openNow.GetValueOrDefault((api, app));
            if (_buckets.Count == 0 && _records.Count == 0)
                return;
            batch = new AnalyticsBatch(
                _buckets.Select(kv => kv.Value.ToSample(kv.Key.Minute, kv.Key.Api, kv.Key.App)).ToArray(),
                _records);
            _buckets = new();
            _records = new();
        }
        if (!_channel.Writer.TryWrite(batch))
        {
            Interlocked.Increment(ref _droppedBatches);
            _metrics.AnalyticsDropped.Add(1);
        }
    }

    /// <summary>Last flush and no more batches (shutdown).</summary>
    public void Complete()
    {
        _timer?.Dispose();
        Flush();
        _channel.Writer.TryComplete();
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>Adds what the connection relayed since its last sample to the bucket and to the metrics. Caller holds _gate.</summary>
    private void Sample(Track track, Bucket bucket)
    {
        var c = track.Live.Counters;
        long mi = c.MessagesIn, bi = c.BytesIn, mo = c.MessagesOut, bo = c.BytesOut;
        long dmi = mi - track.MessagesIn, dbi = bi - track.BytesIn, dmo = mo - track.MessagesOut, dbo = bo - track.BytesOut;
        // Throttling keeps its own per-connection counts (messages held back by shaping, messages dropped).
        long dr = track.Live.Throttle?.Dropped ?? 0, th = (track.Live.Throttle?.Shaped ?? 0) + dr;
        long dth = th - track.ThrottledReported, ddr = dr - track.DroppedReported;
        track.MessagesIn = mi; track.BytesIn = bi; track.MessagesOut = mo; track.BytesOut = bo;
        track.ThrottledReported = th; track.DroppedReported = dr;
        bucket.MessagesIn += dmi; bucket.BytesIn += dbi; bucket.MessagesOut += dmo; bucket.BytesOut += dbo;
        bucket.Throttled += dth; bucket.Dropped += ddr;
        var api = new KeyValuePair<string, object?>("api", track.Live.Route.Label);
        if (dmi != 0) _metrics.Messages.Add(dmi, api, new("direction", "in"));
        if (dmo != 0) _metrics.Messages.Add(dmo, api, new("direction", "out"));
        if (dbi != 0) _metrics.Bytes.Add(dbi, api, new("direction", "in"));
        if (dbo != 0) _metrics.Bytes.Add(dbo, api, new("direction", "out"));
    }

    /// <summary>Caller holds _gate. Returns the records to hand to the writer now when they make a full batch.</summary>
    private List<ConnectionRecord>? AddRecord(ConnectionRecord record)
    {
        if (_records.Count >= _options.MaxPendingConnections)
        {
            Interlocked.Increment(ref _droppedRecords);
            return null;
        }
        _records.Add(record);
        if (_records.Count < _options.RecordsPerBatch)
            return null;
        var full = _records;
        _records = new();
        return full;
    }

    /// <summary>A full batch of connection records goes to the writer before the interval (the per-minute counts wait for it).</summary>
    private void HandOff(List<ConnectionRecord>? records)
    {
        if (records is null)
            return;
        if (!_channel.Writer.TryWrite(new AnalyticsBatch([], records)))
        {
            Interlocked.Increment(ref _droppedBatches);
            _metrics.AnalyticsDropped.Add(1);
        }
    }

    private Bucket BucketFor(long minute, Guid api, Guid app)
    {
        if (!_buckets.TryGetValue((minute, api, app), out var bucket))
            _buckets[(minute, api, app)] = bucket = new Bucket();
        return bucket;
    }

    // Constants, not Enum.ToString().ToLowerInvariant(): two strings less per connection.
    private static string ClosedBy(RelayResult? result) => result?.ClosedBy switch
    {
        null => "aborted",
        RelayCloser.Client => "client",
        RelayCloser.Backend => "backend",
        RelayCloser.Gateway => "gateway",
        var other => other.Value.ToString().ToLowerInvariant(),
    };

    private static long Minute(DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds() / 60;

    private static string UserAgent(HttpContext http)
    {
        var ua = http.Request.Headers.UserAgent.ToString();
        return ua.Length > 200 ? ua[..200] : ua;
    }

    /// <summary>What the recorder reads of an open connection: who, where, and the relay's and throttle's counters.</summary>
    internal sealed record ConnectionView(long Id, ApiRoute Route, ConnectionIdentity Identity, RelayCounters Counters, Throttling.ConnectionThrottle? Throttle);

    internal sealed class Track(ConnectionView live, string client, string userAgent, double handshakeMs, double authMs, double backendMs)
    {
        public ConnectionView Live { get; } = live;
        public string Client { get; } = client;
        public string UserAgent { get; } = userAgent;
        public double HandshakeMs { get; } = handshakeMs;
        public double AuthMs { get; } = authMs;
        public double BackendMs { get; } = backendMs;
        // What was already reported (guarded by the recorder's gate).
        public long MessagesIn, BytesIn, MessagesOut, BytesOut, ThrottledReported, DroppedReported;
    }

    private sealed class Bucket
    {
        public long MessagesIn, BytesIn, MessagesOut, BytesOut, Opened, Refused, Closed, Throttled, Dropped;
        public int? OpenAtEnd;

        public MinuteSample ToSample(long minute, Guid api, Guid app) =>
            new(minute, api, app, MessagesIn, BytesIn, MessagesOut, BytesOut, Opened, Refused, Closed, Throttled, Dropped, OpenAtEnd);
    }
}
