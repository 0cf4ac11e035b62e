using Microsoft.AspNetCore.Http;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Snapshot;
using static Tollgate.Gateway.Tests.ConnectionFixtures;

namespace Tollgate.Gateway.Tests.Analytics;

public sealed class AnalyticsRecorderTests
{
    [Fact]
    public void Samples_deltas_of_open_connections_and_drops_batches_when_the_writer_is_behind()
    {
        using var metrics = new GatewayMetrics();
        using var recorder = new AnalyticsRecorder(new AnalyticsOptions(true, TimeSpan.FromHours(1), QueueCapacity: 1), metrics);
        var counters = new RelayCounters();
        var live = new AnalyticsRecorder.ConnectionView(1, Route, Identity, counters, null);
        var track = recorder.Opened(live, new DefaultHttpContext(), handshakeMs: 3, authMs: 1, backendMs: 1);

        counters.Add(fromClient: true, 2, 10);
        counters.Add(fromClient: false, 1, 4);
        recorder.Flush();
        Assert.True(recorder.Batches.TryRead(out var first));
        var minute = Assert.Single(first!.Minutes);
        Assert.Equal((2, 10, 1, 4, 1, 1), (minute.MessagesIn, minute.BytesIn, minute.MessagesOut, minute.BytesOut, minute.Opened, minute.OpenAtEnd));

        counters.Add(fromClient: true, 1, 5);
        recorder.Flush(); // queued
        recorder.Flush(); // the queue holds one batch: this one is dropped and counted
        Assert.Equal(1, recorder.DroppedBatches);
        Assert.True(recorder.Batches.TryRead(out var second));
        Assert.Equal(1, second!.Minutes.Sum(m => m.MessagesIn));

        recorder.Closed(track, new RelayResult(1000, "bye", RelayCloser.Client, null), TimeSpan.FromSeconds(2));
        recorder.Flush();
        Assert.True(recorder.Batches.TryRead(out var last));
        var record = Assert.Single(last!.Connections);
        Assert.Equal(("accepted", 3, 15, 1000, "client"), (record.Result, record.MessagesIn, record.BytesIn, record.CloseCode!.Value, record.ClosedBy));
        Assert.Equal(3, record.HandshakeMs); // as the handler measured it
        Assert.Equal(1, last.Minutes.Sum(m => m.Closed));
        Assert.Equal(0, recorder.OpenConnections);
    }

    [Fact]
    public void A_full_batch_of_connection_records_goes_to_the_writer_before_the_interval()
    {
        using var metrics = new GatewayMetrics();
        using var recorder = new AnalyticsRecorder(new AnalyticsOptions(true, TimeSpan.FromHours(1), RecordsPerBatch: 3), metrics);
        for (var id = 1; id <= 7; id++)
        {
            var track = recorder.Opened(new AnalyticsRecorder.ConnectionView(id, Route, Identity, new RelayCounters(), null), new DefaultHttpContext(), 2, 1, 1);
            recorder.Closed(track, new RelayResult(1000, null, RelayCloser.Client, null), TimeSpan.FromMilliseconds(5));
        }

        // Two full batches of 3 went at once, with no per-minute counts (those wait for the interval's flush).
        Assert.True(recorder.Batches.TryRead(out var first));
        Assert.True(recorder.Batches.TryRead(out var second));
        Assert.False(recorder.Batches.TryRead(out _));
        Assert.Equal((3, 3), (first!.Connections.Count, second!.Connections.Count));
        Assert.Empty(first.Minutes);
        recorder.Flush();
        Assert.True(recorder.Batches.TryRead(out var last));
        Assert.Single(last!.Connections);
        Assert.Equal(7, last.Minutes.Sum(m => m.Closed));
        Assert.Equal(0, recorder.DroppedRecords);
    }

    [Fact]
    public void Refusals_are_counted_per_api_with_their_status()
    {
        using var metrics = new GatewayMetrics();
        using var recorder = new AnalyticsRecorder(new AnalyticsOptions(true, TimeSpan.FromHours(1)), metrics);
        // The handshake time runs from the handler's start: 50 ms ago here.
        var started = System.Diagnostics.Stopwatch.GetTimestamp() - System.Diagnostics.Stopwatch.Frequency / 20;
        recorder.Refused(new DefaultHttpContext(), Refusal.Unauthorized("no token"), Route, started);
        recorder.Refused(new DefaultHttpContext(), Refusal.NotFound("nothing here"), null, started);
        recorder.Flush();
        Assert.True(recorder.Batches.TryRead(out var batch));
        Assert.Equal(["401", "404"], batch!.Connections.Select(c => c.Result).Order().ToArray());
        Assert.All(batch.Connections, c => Assert.InRange(c.HandshakeMs, 50, 60_000));
        Assert.Equal(1, batch.Minutes.Single(m => m.ApiId == Route.ApiId).Refused);
        Assert.Equal(1, batch.Minutes.Single(m => m.ApiId == Guid.Empty).Refused);
    }
}
