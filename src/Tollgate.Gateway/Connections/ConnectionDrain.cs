using Microsoft.Extensions.Hosting;

namespace Tollgate.Gateway.Connections;

/// <summary>
/// On shutdown, every open connection gets the gateway's 1001 and a moment to finish its close handshake, so its analytics
/// record and access-log line are written before the process goes. Connections the relay loops own are no longer
/// Kestrel's, so Kestrel's own wait for open connections does not cover them.
/// </summary>
internal sealed class ConnectionDrain(LiveConnectionRegistry registry, GatewayOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        registry.CloseAll(LiveConnectionRegistry.GoingAway, "gateway shutting down");
        // The relay drops whatever has not finished its close handshake after this long anyway.
        var deadline = Environment.TickCount64 + (long)options.ToRelayOptions().CloseHandshakeTimeout.TotalMilliseconds + 500;
        while (registry.Count > 0 && Environment.TickCount64 < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(20, CancellationToken.None);
    }
}
