namespace Tollgate.Gateway.Throttling.Cluster;

/// <summary>Carries one counter exchange to the shared store and back; throws when it cannot (the node then enforces local limits).</summary>
public interface ICounterSyncTransport
{
    Task<CounterSyncResponse> ExchangeAsync(CounterSyncRequest request, CancellationToken ct);
}

/// <summary>An exchange the shared store refused or could not answer (unreachable, 503 when its database is down, bad answer).</summary>
public sealed class CounterSyncException(string message, Exception? inner = null) : Exception(message, inner);
