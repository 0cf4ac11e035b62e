namespace Tollgate.Gateway.Throttling.Cluster;

/// <summary>How a gateway node shares its throttling counters with the others through the control plane.</summary>
/// <param name="ControlPlane">Base URL of the control plane (<c>--control-plane</c>).</param>
/// <param name="NodeSecret">The shared node secret (<c>--node-secret</c>), sent as <c>Authorization: Node &lt;secret&gt;</c>.</param>
/// <param name="NodeName">This node's name, unique in the cluster (<c>--node-name</c>).</param>
/// <param name="AcceptAnyCertificate">Accept the control plane's certificate unchecked (self-signed test clusters only).</param>
public sealed record ClusterThrottlingOptions(Uri ControlPlane, string NodeSecret, string NodeName, bool AcceptAnyCertificate = false)
{
    /// <summary>How often counters are exchanged: the over-admission across nodes grows with it (docs/rest-api.md, Throttling).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one exchange may take before the node counts it as failed and enforces local limits.</summary>
    public TimeSpan ExchangeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>An unchanged non-zero connection count is re-reported this often (the control plane ignores counts older than 10 s).</summary>
    public TimeSpan ConnectionHeartbeat { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>While exchanges fail, retries back off up to this.</summary>
    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws with what to change when a setting is out of range.</summary>
    public void Validate()
    {
        if (!ControlPlane.IsAbsoluteUri || (ControlPlane.Scheme != Uri.UriSchemeHttps && ControlPlane.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException($"The control plane URL must be an absolute http(s) URL, not '{ControlPlane}'.");
        if (string.IsNullOrWhiteSpace(NodeSecret))
            throw new ArgumentException("A node secret is needed to share throttling counters (--node-secret or TOLLGATE_NODE_SECRET).");
        if (string.IsNullOrWhiteSpace(NodeName) || NodeName.Length > CounterSyncRequest.MaxNodeLength)
            throw new ArgumentException($"The node name must be 1 to {CounterSyncRequest.MaxNodeLength} characters (--node-name).");
        if (SyncInterval < TimeSpan.FromMilliseconds(10) || SyncInterval > TimeSpan.FromSeconds(10))
            throw new ArgumentException($"The counter sync interval must be between 10 ms and 10 s, not {SyncInterval.TotalMilliseconds} ms.");
        if (ExchangeTimeout <= TimeSpan.Zero)
            throw new ArgumentException("The counter exchange timeout must be positive.");
        if (ConnectionHeartbeat <= TimeSpan.Zero || ConnectionHeartbeat > TimeSpan.FromSeconds(5))
            throw new ArgumentException("The connection heartbeat must be between 0 and 5 s (counts older than 10 s are ignored).");
    }
}
