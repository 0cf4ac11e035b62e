using System.Net.Security;

namespace Tollgate.Gateway.Sync;

/// <summary>
/// What a gateway node's HTTP calls to its control plane share (counter exchange, ticket ledger): one pooled
/// keep-alive client, the endpoint under the control plane's URL, and the node-secret header the control plane's
/// NodeSecretVerifier checks (Tollgate.Server cannot be referenced from here).
/// </summary>
internal static class ControlPlaneHttp
{
    public static HttpClient CreateClient(bool acceptAnyCertificate, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = timeout };
        if (acceptAnyCertificate)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
        return new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary><paramref name="path"/> (relative) under the control plane's URL, whether or not that ends with a slash.</summary>
    public static Uri Endpoint(Uri controlPlane, string path) =>
        new(controlPlane.AbsoluteUri.EndsWith('/') ? controlPlane : new Uri(controlPlane.AbsoluteUri + "/"), path);

    public static string Authorization(string nodeSecret) => "Node " + nodeSecret;
}
