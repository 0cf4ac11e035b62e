using System.Diagnostics;
using System.Net.WebSockets;
using Tollgate.Core.Validation;

namespace Tollgate.ControlPlane.Apis;

public sealed record ProbeResult(bool Answered, string Message, TimeSpan Elapsed);

/// <summary>The Publisher's "check endpoint": tries a WebSocket handshake with the backend and closes at once.</summary>
public sealed class EndpointProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public async Task<ProbeResult> CheckAsync(string? endpoint, TimeSpan? timeout, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        ApiValidator.ValidateEndpoint("endpoint", endpoint, errors);
        if (string.IsNullOrWhiteSpace(endpoint) || !errors.IsEmpty)
            return new ProbeResult(false, errors.IsEmpty ? "No endpoint is set." : errors.ToDictionary()["endpoint"][0], TimeSpan.Zero);

        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(limit);
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri(endpoint.Trim()), cts.Token);
            var elapsed = watch.Elapsed;
            try
            {
                using var closeCts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "endpoint check", closeCts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            return new ProbeResult(true, $"The backend answered the WebSocket handshake in {elapsed.TotalMilliseconds:0} ms.", elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(false, $"No answer within {limit.TotalSeconds:0.#} s: check the host, port and firewall.", watch.Elapsed);
        }
        catch (WebSocketException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            return new ProbeResult(false, $"The backend did not accept a WebSocket handshake: {reason}", watch.Elapsed);
        }
    }
}
