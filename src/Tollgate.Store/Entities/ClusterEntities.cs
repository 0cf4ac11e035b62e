namespace Tollgate.Store.Entities;

/// <summary>
/// The last heartbeat of one gateway node (gateway-role process or the all-in-one process's own gateway), upserted by
/// whichever control plane the node is connected to, so every control plane on the same database lists the same nodes.
/// Times are Unix milliseconds, as in the analytics tables.
/// </summary>
public sealed class GatewayNodeEntity
{
    /// <summary>The node's name (<c>--node-name</c>); unique.</summary>
    public string Name { get; set; } = "";
    public string TollgateVersion { get; set; } = "";
    /// <summary>Version of the snapshot the node serves, as numbered by the control plane that sent it.</summary>
    public long SnapshotVersion { get; set; }
    public int OpenConnections { get; set; }
    public long StartedAt { get; set; }
    public long LastSeen { get; set; }
    /// <summary>The control plane that received the last heartbeat (its machine name and HTTPS port).</summary>
    public string ControlPlane { get; set; } = "";
    /// <summary>The node's address as the control plane saw it ("local" for the all-in-one process's own gateway).</summary>
    public string Address { get; set; } = "";
}

/// <summary>
/// A connection ticket some gateway node accepted: the cluster-wide ledger that makes each ticket work once on any node.
/// Rows leave shortly after the ticket would have expired anyway (tickets live 30 s).
/// </summary>
public sealed class UsedTicketEntity
{
    /// <summary>The ticket's <c>jti</c>.</summary>
    public string Id { get; set; } = "";
    /// <summary>When the ticket expires, Unix milliseconds.</summary>
    public long ExpiresAt { get; set; }
}
