namespace Tollgate.Gateway.Backend;

/// <summary>Settings of the <see cref="BackendConnector"/>.</summary>
/// <param name="AcceptAnyBackendCertificate">Skip TLS certificate validation for wss:// backends. For tests and labs only.</param>
/// <param name="MaxResponseHeaderBytes">Upper bound of the backend's response header block; larger answers are refused (502).</param>
/// <param name="NameLifetime">How long the loop front keeps a backend host name's addresses (null: <see cref="BackendAddresses.DefaultNameLifetime"/>; zero: resolve for every connection).</param>
internal sealed record BackendOptions(
    bool AcceptAnyBackendCertificate = false,
    int MaxResponseHeaderBytes = 16 * 1024,
    TimeSpan? NameLifetime = null);
