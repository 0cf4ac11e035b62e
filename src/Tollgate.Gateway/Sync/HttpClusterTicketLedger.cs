using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Gateway.Handshake;

namespace Tollgate.Gateway.Sync;

/// <summary>
/// A gateway node's view of the cluster-wide ticket ledger: <c>POST {controlPlane}/api/cluster/tickets</c>
/// <c>{"id","expiresAt"}</c> with <c>Authorization: Node &lt;secret&gt;</c>, answered <c>{"firstUse":true|false}</c>.
/// Asked only for tickets (browser connections), never for tokens or API keys.
/// </summary>
internal sealed class HttpClusterTicketLedger : IClusterTicketLedger, IDisposable
{
    public const string Path = "api/cluster/tickets";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _authorization;

    public HttpClusterTicketLedger(Uri controlPlane, string nodeSecret, bool acceptAnyCertificate)
    {
        _http = ControlPlaneHttp.CreateClient(acceptAnyCertificate, TimeSpan.FromSeconds(2));
        _endpoint = ControlPlaneHttp.Endpoint(controlPlane, Path);
        _authorization = ControlPlaneHttp.Authorization(nodeSecret);
    }

    public async Task<bool> FirstUseAsync(string ticketId, DateTime expiresAt, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = JsonContent.Create(new TicketUseRequest(ticketId, new DateTimeOffset(expiresAt, TimeSpan.Zero).ToUnixTimeMilliseconds()), options: Json),
        };
        message.Headers.TryAddWithoutValidation("Authorization", _authorization);
        using var response = await _http.SendAsync(message, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the control plane answered {(int)response.StatusCode} to the ticket check");
        var answer = await response.Content.ReadFromJsonAsync<TicketUseAnswer>(Json, ct)
                     ?? throw new InvalidOperationException("the control plane's ticket answer was empty");
        return answer.FirstUse;
    }

    public void Dispose() => _http.Dispose();
}

public sealed record TicketUseRequest(string Id, long ExpiresAt);

public sealed record TicketUseAnswer(bool FirstUse);

public static class ClusterTicketSetup
{
    /// <summary>Gateway nodes: a connection ticket works once in the whole cluster, not once per node.</summary>
    public static IServiceCollection AddClusterTickets(this IServiceCollection services, Uri controlPlane, string nodeSecret, bool acceptAnyCertificate)
    {
        var ledger = new HttpClusterTicketLedger(controlPlane, nodeSecret, acceptAnyCertificate);
        services.AddSingleton(ledger);
        services.Replace(ServiceDescriptor.Singleton(new TicketLedger(cluster: ledger)));
        return services;
    }
}
