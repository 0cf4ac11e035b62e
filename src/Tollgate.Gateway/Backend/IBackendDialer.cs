namespace Tollgate.Gateway.Backend;

/// <summary>
/// Opens an upgraded connection to a backend. <see cref="BackendConnector"/> does it on .NET's sockets (any backend);
/// the gateway's socket-loop front sets its own for the connections it accepts (a ws:// backend at an address literal,
/// connected on the loop's thread), as a request feature.
/// </summary>
internal interface IBackendDialer
{
    /// <summary>Connects and upgrades. Throws <see cref="OperationCanceledException"/> only when <paramref name="ct"/> is cancelled.</summary>
    Task<BackendHandshakeResult> ConnectAsync(BackendRequest request, TimeSpan connectTimeout, CancellationToken ct);
}
