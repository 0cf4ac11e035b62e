using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Sync;

/// <summary>How a gateway node follows its control plane.</summary>
/// <param name="ControlPlane">The control plane's base address (https://host:9443).</param>
/// <param name="Secret">The shared node secret; sent as <c>Authorization: Node …</c>, never logged.</param>
public sealed record NodeSyncOptions(Uri ControlPlane, string Secret, string NodeName, string TollgateVersion, bool AcceptAnyCertificate)
{
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Largest snapshot message accepted (a snapshot of 100,000 subscriptions is about 20 MB of JSON).</summary>
    public int MaxSnapshotBytes { get; init; } = 256 * 1024 * 1024;

    public Uri StreamUri
    {
        get
        {
            var b = new UriBuilder(ControlPlane) { Scheme = ControlPlane.Scheme == "https" ? "wss" : "ws" };
            b.Path = b.Path.TrimEnd('/') + NodeMessages.StreamPath;
            return b.Uri;
        }
    }
}

/// <summary>
/// Keeps a gateway node's snapshot in step with its control plane over one WebSocket (<see cref="NodeMessages.StreamPath"/>):
/// every snapshot received is swapped in (live connections are re-checked on every swap, so revocations and blocks close
/// connections on this node too); heartbeats and analytics batches go back on the same socket. When the control plane is
/// gone the node keeps serving its last snapshot and reconnects with capped exponential back-off and jitter; on reconnect
/// the control plane sends the whole snapshot first, so no change is lost.
/// </summary>
public sealed class SnapshotSyncClient : BackgroundService
{
    private readonly NodeSyncOptions _options;
    private readonly SnapshotHolder _snapshots;
    private readonly LiveConnections _live;
    private readonly AnalyticsRecorder? _analytics;
    private readonly ILogger<SnapshotSyncClient> _logger;
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private readonly HashSet<string> _callerJwtWarned = new(StringComparer.Ordinal);
    private readonly Meter _meter = new(GatewayMetrics.MeterName);
    private long _localVersion;
    private long _remoteVersion;
    private long _analyticsSent;
    private long _analyticsFailed;
    private long _snapshotsReceived;
    private volatile bool _connected;

    public SnapshotSyncClient(NodeSyncOptions options, SnapshotHolder snapshots, LiveConnections live, ILogger<SnapshotSyncClient> logger,
        AnalyticsRecorder? analytics = null)
    {
        _options = options;
        _snapshots = snapshots;
        _live = live;
        _analytics = analytics is { Options.Enabled: true } ? analytics : null;
        _logger = logger;
        _meter.CreateObservableGauge("tollgate_node_control_plane_connected", () => _connected ? 1 : 0, "{bool}",
            "1 while this gateway node is connected to its control plane's stream.");
        _meter.CreateObservableGauge("tollgate_node_snapshot_version", () => Interlocked.Read(ref _remoteVersion), "{version}",
            "Version (as numbered by the control plane) of the snapshot this node serves; 0 before the first.");
        _meter.CreateObservableCounter("tollgate_node_analytics_batches_sent_total", () => Interlocked.Read(ref _analyticsSent), "{batch}",
            "Analytics batches sent to the control plane.");
        _meter.CreateObservableCounter("tollgate_node_analytics_batches_failed_total", () => Interlocked.Read(ref _analyticsFailed), "{batch}",
            "Analytics batches lost because the control plane connection failed while sending.");
    }

    public bool Connected => _connected;
    /// <summary>The control plane's version of the snapshot this node serves (0 before the first arrived).</summary>
    public long SnapshotVersion => Interlocked.Read(ref _remoteVersion);
    public long SnapshotsReceived => Interlocked.Read(ref _snapshotsReceived);
    public long AnalyticsBatchesSent => Interlocked.Read(ref _analyticsSent);
    public long AnalyticsBatchesFailed => Interlocked.Read(ref _analyticsFailed);

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.AcceptAnyCertificate)
            _logger.LogWarning("--control-plane-accept-any-certificate is on: the control plane's TLS certificate is NOT checked. Use it only with the control plane's self-signed certificate on a network you trust.");
        _logger.LogInformation("Following control plane {ControlPlane} as node {Node}", _options.ControlPlane, _options.NodeName);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var received = SnapshotsReceived;
            Exception? error = null;
            try
            {
                await RunSessionAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                _connected = false;
            }
            // A session that delivered a snapshot was healthy: back-off starts again from the shortest delay.
            failures = SnapshotsReceived > received ? 0 : failures + 1;
            if (error is null)
                _logger.LogWarning("The control plane closed the stream; serving snapshot {Version} until it is back", SnapshotVersion);
            else
                Describe(error, repeated: failures > 1);
            try
            {
                await Task.Delay(RetryDelay(failures), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>0.5 s, 1 s, 2 s … capped at 10 s, each with ±25 % jitter so nodes do not reconnect in lock-step.</summary>
    internal TimeSpan RetryDelay(int failures)
    {
        var baseMs = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.MinRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, failures - 1)));
        return TimeSpan.FromMilliseconds(baseMs * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    private void Describe(Exception e, bool repeated)
    {
        var status = (e as WebSocketException)?.Data["status"] as int?;
        var serving = SnapshotVersion == 0 ? "no snapshot yet: connections get 503" : $"serving snapshot {SnapshotVersion}";
        switch (status)
        {
            case 401:
                _logger.LogError("The control plane {ControlPlane} refused this node's secret (401): start the node with the --node-secret (or TOLLGATE_NODE_SECRET) the control plane was started with ({Serving})",
                    _options.ControlPlane, serving);
                break;
            case 403:
                _logger.LogError("The control plane {ControlPlane} accepts no gateway node (403): start it with --node-secret ({Serving})", _options.ControlPlane, serving);
                break;
            case { } other:
                _logger.LogError("The control plane {ControlPlane} answered HTTP {Status} instead of opening the stream ({Serving})", _options.ControlPlane, other, serving);
                break;
            case null when e.GetBaseException() is System.Security.Authentication.AuthenticationException:
                _logger.LogError("The control plane {ControlPlane}'s TLS certificate is not trusted ({Error}): trust its issuer on this machine, or start the node with --control-plane-accept-any-certificate true for the generated self-signed certificate ({Serving})",
                    _options.ControlPlane, e.GetBaseException().Message, serving);
                break;
            default:
                // The first failure in a row is a warning; the following ones repeat the same at debug level.
                _logger.Log(repeated ? LogLevel.Debug : LogLevel.Warning,
                    "Lost or could not reach control plane {ControlPlane} ({Error}); {Serving}, retrying with back-off",
                    _options.ControlPlane, e.GetBaseException().Message, serving);
                break;
        }
    }

    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Node {_options.Secret}");
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(5);
        ws.Options.KeepAliveTimeout = TimeSpan.FromSeconds(10);
        if (_options.AcceptAnyCertificate)
            ws.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await ws.ConnectAsync(_options.StreamUri, connectTimeout.Token);
            }
            catch (WebSocketException e) when (ws.HttpStatusCode is not 0 and not System.Net.HttpStatusCode.SwitchingProtocols)
            {
                e.Data["status"] = (int)ws.HttpStatusCode;
                throw;
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new TimeoutException("the connection did not open within 10 s");
            }
        }
        _connected = true;
        _logger.LogInformation("Connected to control plane {ControlPlane}", _options.ControlPlane);

        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sendLock = new SemaphoreSlim(1, 1);
        var receive = ReceiveAsync(ws, session.Token);
        var heartbeats = HeartbeatsAsync(ws, sendLock, session.Token);
        var analytics = _analytics is null ? Task.Delay(Timeout.Infinite, session.Token) : AnalyticsAsync(ws, sendLock, _analytics, session.Token);
        // Never faults: completes when the node is stopping, so the last analytics go out before the socket closes.
        var stopped = Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        var first = await Task.WhenAny(receive, heartbeats, analytics, stopped);
        if (first == stopped)
            await FarewellAsync(ws, sendLock);
        session.Cancel();
        try
        {
            await Task.WhenAll(receive, heartbeats, analytics);
        }
        catch
        {
            // the other loops stop because the session ended; what ended it is rethrown below
        }
        if (first.IsFaulted)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first.Exception!.GetBaseException());
        stoppingToken.ThrowIfCancellationRequested();
    }

    private async Task ReceiveAsync(ClientWebSocket ws, CancellationToken ct)
    {
        var sessionFirst = true;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        while (true)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(buffer.GetMemory(64 * 1024), ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the control plane's close (it is stopping) so both sides end cleanly.
                    try { await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct); }
                    catch (WebSocketException) { }
                    return;
                }
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > _options.MaxSnapshotBytes)
                    throw new InvalidDataException($"a snapshot larger than {_options.MaxSnapshotBytes} bytes was refused");
            } while (!result.EndOfMessage);
            if (result.MessageType != WebSocketMessageType.Text)
                continue;
            Install(SnapshotCodec.Decode(buffer.WrittenSpan), sessionFirst);
            sessionFirst = false;
        }
    }

    private void Install(GatewaySnapshot received, bool sessionFirst)
    {
        // Versions are numbered by the control plane that built them and start again when it restarts (or differ between
        // control planes): the holder only takes newer versions, so the node numbers what it installs itself.
        var local = Math.Max(Interlocked.Read(ref _localVersion), _snapshots.Current.Version) + 1;
        Interlocked.Exchange(ref _localVersion, local);
        var first = Interlocked.Exchange(ref _remoteVersion, received.Version) == 0 && SnapshotsReceived == 0;
        _snapshots.Swap(received with { Version = local });
        Interlocked.Increment(ref _snapshotsReceived);
        if (first)
            _logger.LogInformation("First snapshot {Version} from the control plane installed: {Apis} APIs, {Subscriptions} subscriptions",
                received.Version, received.RoutesByContextAndVersion.Count, received.Subscriptions.Count);
        else if (sessionFirst)
            _logger.LogInformation("Caught up with the control plane: snapshot {Version} installed", received.Version);
        else
            _logger.LogDebug("Snapshot {Version} installed", received.Version);
        foreach (var route in received.RoutesByContextAndVersion.Values)
            if (route.Security.CallerJwt && _callerJwtWarned.Add(route.Label))
                _logger.LogWarning("API {Api} asks for a caller JWT (X-Tollgate-Caller), but gateway nodes hold no signing key: this node sends its backend none. Serve such APIs through a --role all process.",
                    route.Label);
    }

    /// <summary>On shutdown: the analytics recorded so far, then a close frame, within 2 s at most.</summary>
    private async Task FarewellAsync(ClientWebSocket ws, SemaphoreSlim sendLock)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var sending = _analytics is not null;
        try
        {
            if (_analytics is { } recorder)
            {
                recorder.Flush();
                while (recorder.Batches.TryRead(out var batch))
                {
                    await SendAsync(ws, sendLock, NodeMessages.Encode(batch), timeout.Token);
                    Interlocked.Increment(ref _analyticsSent);
                }
            }
            sending = false;
            await sendLock.WaitAsync(timeout.Token);
            try
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "gateway node stopping", timeout.Token);
            }
            finally
            {
                sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            if (sending)
                Interlocked.Increment(ref _analyticsFailed);
        }
    }

    private async Task HeartbeatsAsync(ClientWebSocket ws, SemaphoreSlim sendLock, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        do
        {
            var heartbeat = new NodeHeartbeat(_options.NodeName, _options.TollgateVersion, SnapshotVersion, _live.Count, _startedAt);
            await SendAsync(ws, sendLock, NodeMessages.Encode(heartbeat), ct);
        } while (await timer.WaitForNextTickAsync(ct));
    }

    /// <summary>
    /// Forwards the recorder's batches while connected. While disconnected nothing is read, so the recorder's bounded
    /// queue fills and it drops (and counts) new batches: memory stays bounded and traffic never waits.
    /// </summary>
    private async Task AnalyticsAsync(ClientWebSocket ws, SemaphoreSlim sendLock, AnalyticsRecorder recorder, CancellationToken ct)
    {
        await foreach (var batch in recorder.Batches.ReadAllAsync(ct))
        {
            try
            {
                await SendAsync(ws, sendLock, NodeMessages.Encode(batch), ct);
                Interlocked.Increment(ref _analyticsSent);
            }
            catch
            {
                Interlocked.Increment(ref _analyticsFailed);
                throw;
            }
        }
        await Task.Delay(Timeout.Infinite, ct); // the recorder completed (shutdown): keep the session open for heartbeats
    }

    private static async Task SendAsync(ClientWebSocket ws, SemaphoreSlim sendLock, byte[] message, CancellationToken ct)
    {
        await sendLock.WaitAsync(ct);
        try
        {
            await ws.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            sendLock.Release();
        }
    }
}

public static class NodeSyncSetup
{
    /// <summary>Registers the client that fills the gateway's snapshot from a control plane (gateway-role processes).</summary>
    public static IServiceCollection AddTollgateNodeSync(this IServiceCollection services, NodeSyncOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp => new SnapshotSyncClient(options, sp.GetRequiredService<SnapshotHolder>(), sp.GetRequiredService<LiveConnections>(),
            sp.GetRequiredService<ILogger<SnapshotSyncClient>>(), sp.GetService<AnalyticsRecorder>()));
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotSyncClient>());
        return services;
    }
}
