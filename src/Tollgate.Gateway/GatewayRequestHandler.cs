using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Backend;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Relay;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Gateway;

/// <summary>
/// One WebSocket connection through the gateway: checks before the upgrade (each refusal with its
/// own status), the backend handshake, the client upgrade with the backend's answer, then the relay.
/// Works from one snapshot taken at the start; the database is never touched here.
/// </summary>
internal sealed class GatewayRequestHandler(
    SnapshotHolder snapshots,
    HandshakeValidator validator,
    BackendConnector backends,
    LiveConnectionRegistry connections,
    CallerTokens callerTokens,
    ThrottleService throttling,
    GatewayOptions options,
    AnalyticsRecorder analytics,
    ILogger<GatewayRequestHandler> logger)
{
    private readonly RelayOptions _relayOptions = options.ToRelayOptions();

    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp(); // the handshake time in analytics is measured from here
        var snapshot = snapshots.Current;
        var path = http.Request.Path.Value ?? "/";
        if (snapshot.Version == 0)
        {
            // Only a gateway node that never received a snapshot from its control plane has none: say so, not 404.
            await RefuseAsync(http, new Refusal(503, "no_snapshot", "This gateway node has not received its configuration from the control plane yet: check --control-plane and --node-secret, or try again shortly.",
                RetryAfterSeconds: 2), null, started);
            return;
        }
        if (RouteMatcher.Match(snapshot, path) is not { } match)
        {
            await RefuseAsync(http, Refusal.NotFound($"No API is deployed at {path}."), null, started);
            return;
        }

        var upgrade = http.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true } || !IsWebSocketUpgrade(http.Request))
        {
            http.Response.Headers.Upgrade = "websocket";
            await RefuseAsync(http, new Refusal(426, "not_websocket", $"{match.Route.Label} is a WebSocket API: connect with ws:// and an Upgrade: websocket request."), match.Route, started);
            return;
        }

        var credentials = Credentials.Read(http.Request);
        var (identity, endpoint, refusal, backendHeaders) = await validator.ValidateAsync(snapshot, match, credentials, http.Request);
        if (refusal is not null)
        {
            await RefuseAsync(http, refusal, match.Route, started);
            return;
        }

        var clientAddress = http.Connection.RemoteIpAddress;
        if (!connections.TryReserveClient(clientAddress, options.MaxConnectionsPerClient))
        {
            http.Response.Headers.RetryAfter = "5";
            await RefuseAsync(http, new Refusal(429, "too_many_connections",
                $"This address already has {options.MaxConnectionsPerClient} open connections: close some before opening more."), match.Route, started);
            return;
        }
        // The rest of the handshake stays in this method: one state machine per connection, not one per step.
        var authMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        ConnectionThrottle? throttle = null;
        var relayed = false;
        try
        {
            // Connection limits and spent quotas answer 429 before the backend is even called.
            var connectionId = connections.NextId();
            (throttle, var throttled) = throttling.Open(snapshot, match.Route, identity!, connectionId);
            if (throttled is not null)
            {
                await RefuseAsync(http, throttled, match.Route, started);
                return;
            }
            var request = BackendRequestFactory.Create(http, match.Route, endpoint!, match.Rest, credentials, identity!, backendHeaders,
                callerTokens.Issue(match.Route, identity!));
            // The socket-loop front connects ws:// backends on its own thread; any other request uses .NET's sockets.
            var dialer = http.Features.Get<IBackendDialer>() ?? backends;
            var backend = await dialer.ConnectAsync(request, options.BackendConnectTimeout, http.RequestAborted);
            var backendMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds - authMs;
            if (backend.Outcome != BackendOutcome.Upgraded)
            {
                logger.LogWarning("Backend of {Api} at {Endpoint} did not upgrade: {Outcome} {Error}", match.Route.Label, endpoint!.GetLeftPart(UriPartial.Authority), backend.Outcome, backend.Error);
                await RefuseAsync(http, backend.Outcome == BackendOutcome.TimedOut
                    ? Refusal.GatewayTimeout($"The backend of {match.Route.Label} did not answer in time.")
                    : Refusal.BadGateway(backend.Outcome == BackendOutcome.Refused
                        ? $"The backend of {match.Route.Label} refused the WebSocket handshake (HTTP {backend.StatusCode})."
                        : $"The backend of {match.Route.Label} is unreachable."), match.Route, started);
                return;
            }

            Stream client;
            try
            {
                CopyUpgradeHeaders(backend, credentials, http.Response);
                client = await upgrade.UpgradeAsync();
            }
            catch
            {
                await backend.Stream!.DisposeAsync();
                throw;
            }
            var handshakeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var ending = StartRelay(http, client, backend, match, identity!, throttle!, connectionId, clientAddress, handshakeMs, authMs, backendMs, started);
            relayed = true; // from here EndAsync owns the connection's slots and records
            // A client socket the gateway's transport handed over lives on without the request: this method ends now, and
            // the handshake's state (HTTP context, features, transport pipes) goes with it. Otherwise it waits for the
            // connection's end, holding only what the relay needs: the handshake's state is let go first.
            if (client is ISocketSource)
                return;
            credentials = null!;
            request = null!;
            backend = null!;
            backendHeaders = null!;
            client = null!;
            await ending;
        }
        finally
        {
            if (!relayed)
            {
                throttle?.Dispose(); // the connection slots taken above
                connections.ReleaseClient(clientAddress, options.MaxConnectionsPerClient);
            }
        }
    }

    /// <summary>The relay between the upgraded client and the backend, registered and recorded; returns its end (<see cref="EndAsync"/>).</summary>
    private Task StartRelay(HttpContext http, Stream client, BackendHandshakeResult backend, RouteMatch match, ConnectionIdentity identity,
        ConnectionThrottle throttle, long connectionId, System.Net.IPAddress? clientAddress, double handshakeMs, double authMs, double backendMs, long started)
    {
        var counters = new RelayCounters();
        // From here the relay owns both streams and disposes them when the connection ends.
        // Not RequestAborted: Kestrel trips it as soon as the client drops, before the relay could tell the backend (1001).
        var relay = WebSocketRelay.Start(client, backend.Stream!, backend.Leftover, RelayOptionsFor(match.Route), counters,
            upstreamGate: throttle.Upstream, downstreamGate: throttle.Downstream);
        var live = new LiveConnection(connectionId, match.Route, identity, DateTime.UtcNow, relay, throttle);
        connections.Add(live);
        var track = analytics.Opened(live, http, handshakeMs, authMs, backendMs);
        // A check against the newest snapshot closes the gap between our snapshot and registration.
        if (HandshakeValidator.WhyNoLongerAllowed(snapshots.Current, match.Route, identity) is { } why)
            live.Close(LiveConnectionRegistry.PolicyViolation, why);
        return EndAsync(relay, live, track, throttle, clientAddress, handshakeMs, started);
    }

    /// <summary>When the relay is over: the registry, analytics, the access log, and the slots the connection held.</summary>
    private async Task EndAsync(IRelayConnection relay, LiveConnection live, AnalyticsRecorder.Track? track, ConnectionThrottle throttle,
        System.Net.IPAddress? clientAddress, double handshakeMs, long started)
    {
        RelayResult? result = null;
        try
        {
            result = await relay.Completion.ConfigureAwait(false);
        }
        finally
        {
            connections.Remove(live.Id);
            analytics.Closed(track, result, Stopwatch.GetElapsedTime(started));
            AccessLog.Connection(logger, live, clientAddress, result, handshakeMs, Stopwatch.GetElapsedTime(started));
            if (throttle.Shaped != 0 || throttle.Dropped != 0)
                AccessLog.Throttled(logger, live, throttle.Shaped, throttle.Dropped);
            throttle.Dispose();
            connections.ReleaseClient(clientAddress, options.MaxConnectionsPerClient);
        }
    }

    /// <summary>An API may lower (or raise) the gateway's message size limit for its clients.</summary>
    private RelayOptions RelayOptionsFor(ApiRoute route) =>
        route.Security.MaxMessageBytes is > 0 and var max && max != _relayOptions.MaxMessageBytes
            ? _relayOptions with { MaxMessageBytes = max }
            : _relayOptions;

    private static bool IsWebSocketUpgrade(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrEmpty(request.Headers.SecWebSocketKey.ToString());

    /// <summary>
    /// The client's 101 carries the backend's accept key, chosen subprotocol and extensions unchanged. When the
    /// client sent its token as a subprotocol and the backend chose none, the answer names one the client offered,
    /// since browsers fail a connection whose answer names none of theirs.
    /// </summary>
    private static void CopyUpgradeHeaders(BackendHandshakeResult backend, Credentials credentials, HttpResponse response)
    {
        var headers = backend.ResponseHeaders;
        for (int i = 0; i < headers.Count; i++) // indexed: a foreach over the interface boxes an enumerator per handshake
        {
            var (name, value) = headers[i];
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Date", StringComparison.OrdinalIgnoreCase) || name.Equals("Server", StringComparison.OrdinalIgnoreCase))
                continue;
            response.Headers.Append(name, value);
        }
        response.Headers.Connection = "Upgrade";
        response.Headers.Upgrade = "websocket";
        if (credentials.TokenProtocolEntry is { } tokenEntry && backend.GetHeader("Sec-WebSocket-Protocol") is null)
            response.Headers.SecWebSocketProtocol = credentials.OfferedProtocols.Count > 0 ? credentials.OfferedProtocols[0] : tokenEntry;
    }

    private async Task RefuseAsync(HttpContext http, Refusal refusal, ApiRoute? route, long started)
    {
        logger.LogInformation("Refused {Status} {Reason} for {Api} from {Client}: {Message}",
            refusal.Status, refusal.Reason, route?.Label ?? http.Request.Path.Value, http.Connection.RemoteIpAddress, refusal.Message);
        analytics.Refused(http, refusal, route, started);
        http.Response.StatusCode = refusal.Status;
        if (refusal.WwwAuthenticate is not null)
            http.Response.Headers.WWWAuthenticate = refusal.WwwAuthenticate;
        if (refusal.RetryAfterSeconds is { } retryAfter)
            http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        await Results.Problem(title: refusal.Message, statusCode: refusal.Status,
            type: $"https://tollgate.dev/problems/gateway/{refusal.Reason}").ExecuteAsync(http);
    }
}
