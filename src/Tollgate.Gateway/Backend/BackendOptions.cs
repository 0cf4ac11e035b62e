namespace Tollgate.Gateway.Backend;

/// <summary>Settings of the <see cref="BackendConnector"/>.</summary>
/// <param name="AcceptAnyBackendCertificate">Skip TLS certificate validation for wss:// backends. For tests and labs only.</param>
/// <param name="MaxResponseHeaderBytes">Upper bound of the backend's response header block; larger answers are refused (502).</param>
internal sealed record BackendOptions(
    bool AcceptAnyBackendCertificate = false,
    int MaxResponseHeaderBytes = 16 * 1024);
