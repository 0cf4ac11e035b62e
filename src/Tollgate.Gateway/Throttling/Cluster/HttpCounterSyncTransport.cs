using System.Net.Http.Json;
using System.Text.Json;

namespace Tollgate.Gateway.Throttling.Cluster;

/// <summary>
/// Exchanges counters with the control plane: <c>POST {controlPlane}/api/cluster/counters</c> with
/// <c>Authorization: Node &lt;secret&gt;</c>, over one pooled keep-alive connection.
/// </summary>
public sealed class HttpCounterSyncTransport : ICounterSyncTransport, IDisposable
{
    public const string Path = "api/cluster/counters";
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _authorization;

    public HttpCounterSyncTransport(ClusterThrottlingOptions options)
    {
        _http = Sync.ControlPlaneHttp.CreateClient(options.AcceptAnyCertificate, options.ExchangeTimeout);
        _endpoint = Sync.ControlPlaneHttp.Endpoint(options.ControlPlane, Path);
        _authorization = Sync.ControlPlaneHttp.Authorization(options.NodeSecret);
    }

    public async Task<CounterSyncResponse> ExchangeAsync(CounterSyncRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = JsonContent.Create(request, options: Json) };
        message.Headers.TryAddWithoutValidation("Authorization", _authorization);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CounterSyncException($"control plane unreachable at {_endpoint}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CounterSyncException($"control plane did not answer within {_http.Timeout.TotalSeconds:0.#} s", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                throw new CounterSyncException($"control plane answered {(int)response.StatusCode}: {Detail(body)}");
            }
            var answer = await response.Content.ReadFromJsonAsync<CounterSyncResponse>(Json, ct);
            if (answer?.Rates is null || answer.Quotas is null || answer.Connections is null)
                throw new CounterSyncException("control plane answered without rates, quotas or connections");
            return answer;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The problem's detail if the body is one, else the start of the body (never a header, so never the secret).</summary>
    private static string Detail(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                return d.GetString()!;
        }
        catch (JsonException)
        {
        }
        return body.Length <= 200 ? body : body[..200] + "…";
    }
}
