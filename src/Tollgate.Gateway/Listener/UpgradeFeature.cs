using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.Gateway.Listener;

/// <summary>The upgrade: writes the 101 with the response headers the handler set, then hands over the raw transport.</summary>
internal sealed class UpgradeFeature(IDuplexPipe transport, HttpResponse response, bool upgradable) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest { get; } = upgradable;
    public bool Upgraded { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        if (!IsUpgradableRequest || Upgraded)
            throw new InvalidOperationException("This request cannot be upgraded.");
        Upgraded = true;
        response.StatusCode = StatusCodes.Status101SwitchingProtocols;
        var head = new StringBuilder(256).Append("HTTP/1.1 101 Switching Protocols\r\n");
        ResponseWriter.AppendHeaders(head, response.Headers);
        head.Append("\r\n");
        await transport.Output.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()));
        return new TransportStream(transport);
    }
}
