namespace Tollgate.Gateway.Backend;

/// <summary>What to send to the backend for one WebSocket upgrade.</summary>
/// <param name="Endpoint">The backend's ws:// or wss:// URL; only scheme, host and port are used here.</param>
/// <param name="PathAndQuery">Request target, already combined: endpoint path + rest of the client path + client query minus credentials.</param>
/// <param name="Headers">
/// End-to-end headers to forward (Sec-WebSocket-Key/-Version/-Protocol/-Extensions, Origin, User-Agent, Cookie,
/// X-..., X-Forwarded-*). Host, Connection and Upgrade are written by the connector and ignored here.
/// </param>
internal sealed record BackendRequest(
    Uri Endpoint,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers);
