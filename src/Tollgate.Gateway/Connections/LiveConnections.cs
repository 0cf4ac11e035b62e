namespace Tollgate.Gateway.Connections;

/// <summary>One open connection as the admin API shows it.</summary>
public sealed record LiveConnectionInfo(
    long Id, string Api, Guid ApiId, Guid ApplicationId, string Application, string Subscriber, string KeyType,
    string Credential, DateTime OpenedAt, long MessagesIn, long MessagesOut, long BytesIn, long BytesOut, string Node);

/// <summary>
/// The control plane's window on this node's open connections (list, close one, close an application's).
/// Empty until a gateway runs in the process and attaches its registry.
/// </summary>
public sealed class LiveConnections(string nodeName)
{
    private LiveConnectionRegistry? _registry;

    public string NodeName { get; } = nodeName;

    internal void Attach(LiveConnectionRegistry registry) => _registry = registry;

    public IReadOnlyList<LiveConnectionInfo> List(Guid? applicationId = null, Guid? apiId = null) =>
        (_registry?.All ?? [])
            .Where(c => (applicationId is null || c.Identity.ApplicationId == applicationId) && (apiId is null || c.Route.ApiId == apiId))
            .OrderBy(c => c.Id)
            .Select(c => new LiveConnectionInfo(c.Id, c.Route.Label, c.Route.ApiId, c.Identity.ApplicationId, c.Identity.ApplicationName,
                c.Identity.Subscriber, c.Identity.KeyType.ToString().ToLowerInvariant(), c.Identity.Kind.ToString(), c.OpenedAt,
                c.Counters.MessagesIn, c.Counters.MessagesOut, c.Counters.BytesIn, c.Counters.BytesOut, NodeName))
            .ToArray();

    public int Count => _registry?.Count ?? 0;

    /// <summary>Closes one connection with 1008 and the reason; false if there is no such connection.</summary>
    public bool Close(long id, string reason) =>
        _registry?.Find(id) is { } c && c.Close(LiveConnectionRegistry.PolicyViolation, Trim(reason));

    public const int MaxPushBytes = 64 * 1024;

    /// <summary>
    /// Sends a message to one client, as if from the backend (for backends that push through the gateway).
    /// Null when there is no such connection; false when it stayed busy or closed for a second.
    /// </summary>
    public async Task<bool?> SendAsync(long id, ReadOnlyMemory<byte> payload, bool text)
    {
        if (_registry?.Find(id) is not { } connection)
            return null;
        return await connection.SendAsync(payload, text, TimeSpan.FromSeconds(1));
    }

    /// <summary>Closes every connection of an application; returns how many.</summary>
    public int CloseApplication(Guid applicationId, string reason) =>
        (_registry?.All ?? []).Where(c => c.Identity.ApplicationId == applicationId)
            .Count(c => c.Close(LiveConnectionRegistry.PolicyViolation, Trim(reason)));

    // A close reason must fit a control frame (123 bytes of UTF-8); keep it short and plain.
    private static string Trim(string reason) => reason.Length > 100 ? reason[..100] : reason;
}
