namespace Tollgate.Core.Apis;

/// <summary>What a creator submits to create or update a WebSocket API, before validation.</summary>
public sealed record ApiDraft(
    string? Name,
    string? Context,
    string? Version,
    string? ProductionEndpoint,
    string? SandboxEndpoint,
    IReadOnlyList<string>? Plans,
    string? Description,
    IReadOnlyList<string>? Tags);
