using System.Text.Json;
using Tollgate.Core.Analytics;

namespace Tollgate.Gateway.Sync;

/// <summary>
/// What travels on the cluster stream (<c>GET /api/cluster/stream</c>, one WebSocket per gateway node), each a JSON text
/// message with a <c>type</c>: the control plane sends <c>snapshot</c> (the whole snapshot, see <see cref="SnapshotCodec"/>);
/// the node sends <c>heartbeat</c> every 2 s and <c>analytics</c> batches.
/// </summary>
public static class NodeMessages
{
    public const string StreamPath = "/api/cluster/stream";
    public const string Heartbeat = "heartbeat";
    public const string Analytics = "analytics";

    public static byte[] Encode(NodeHeartbeat heartbeat) => JsonSerializer.SerializeToUtf8Bytes(heartbeat with { Type = Heartbeat }, SnapshotCodec.Json);

    public static byte[] Encode(AnalyticsBatch batch) =>
        JsonSerializer.SerializeToUtf8Bytes(new AnalyticsMessage(Analytics, batch.Minutes, batch.Connections), SnapshotCodec.Json);

    /// <summary>The message's type, or null when it is not a JSON object with a string <c>type</c>.</summary>
    public static string? TypeOf(JsonDocument message) =>
        message.RootElement.ValueKind == JsonValueKind.Object && message.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString() : null;

    public static NodeHeartbeat? ReadHeartbeat(JsonDocument message) => message.RootElement.Deserialize<NodeHeartbeat>(SnapshotCodec.Json);

    public static AnalyticsBatch? ReadAnalytics(JsonDocument message) =>
        message.RootElement.Deserialize<AnalyticsMessage>(SnapshotCodec.Json) is { } m ? new AnalyticsBatch(m.Minutes ?? [], m.Connections ?? []) : null;

    private sealed record AnalyticsMessage(string Type, IReadOnlyList<MinuteSample>? Minutes, IReadOnlyList<ConnectionRecord>? Connections);
}

/// <summary>A gateway node's state, sent every 2 s; the control plane keeps the last one per node name.</summary>
/// <param name="SnapshotVersion">The version (as numbered by the control plane that sent it) of the snapshot the node serves.</param>
public sealed record NodeHeartbeat(string Node, string TollgateVersion, long SnapshotVersion, int OpenConnections, DateTime StartedAt)
{
    public string Type { get; init; } = NodeMessages.Heartbeat;
}

