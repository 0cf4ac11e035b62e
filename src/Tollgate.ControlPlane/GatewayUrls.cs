namespace Tollgate.ControlPlane;

/// <summary>The addresses users are shown: where the gateway answers and where the control plane lives.</summary>
public sealed record GatewayUrls(string PublicHost, int GatewayPort, int GatewayTlsPort, int HttpsPort)
{
    public string For(string context, string version) => $"ws://{PublicHost}:{GatewayPort}{context}/{version}";

    public string? TlsFor(string context, string version) =>
        GatewayTlsPort > 0 ? $"wss://{PublicHost}:{GatewayTlsPort}{context}/{version}" : null;

    public string ControlPlane => $"https://{PublicHost}:{HttpsPort}";
}
