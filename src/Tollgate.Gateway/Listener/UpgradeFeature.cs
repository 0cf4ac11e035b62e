using System.IO.Pipelines;
using Tollgate.Gateway.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.Gateway.Listener;

/// <summary>The upgrade: writes the 101 with the response headers the handler set, then hands over the raw transport.</summary>
internal sealed class UpgradeFeature(IDuplexPipe transport, HttpResponse response, IHttpRequestFeature requestFeature, IHttpResponseFeature responseFeature,
    RequestHead head, bool upgradable, Transport.ISocketHandover? handover) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest { get; } = upgradable;
    public bool Upgraded { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        if (!IsUpgradableRequest || Upgraded)
            throw new InvalidOperationException("This request cannot be upgraded.");
        Upgraded = true;
        await transport.Output.WriteAsync(SwitchingProtocols(response));
        ReleaseHandshakeState(requestFeature, responseFeature, head);
        // On the gateway's own transport (plain TCP) the socket itself goes to the relay; else the pipes, as a stream.
        if (handover?.TakeSocket() is { } taken)
            return new Transport.HandedOverStream(taken.Socket, taken.Leftover);
        return new TransportStream(transport);
    }

    /// <summary>The 101 with the headers the handler set (the backend's accept key, subprotocol and extensions).</summary>
    internal static byte[] SwitchingProtocols(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status101SwitchingProtocols;
        var head = new HeadBytes(256);
        head.Append("HTTP/1.1 101 Switching Protocols\r\n"u8);
        ResponseWriter.AppendHeaders(ref head, response.Headers);
        head.Append("\r\n"u8);
        return head.ToArray();
    }

    /// <summary>
    /// The request's headers (the token among them) are not needed while the connection lives; analytics still reads the
    /// User-Agent when the relay starts. New, small dictionaries instead of cleared ones: a cleared dictionary keeps its
    /// arrays, which an idle connection would carry for its whole life.
    /// </summary>
    internal static void ReleaseHandshakeState(IHttpRequestFeature requestFeature, IHttpResponseFeature responseFeature, RequestHead head)
    {
        var userAgent = requestFeature.Headers.UserAgent;
        IHeaderDictionary kept = new HeaderDictionary();
        if (userAgent.Count > 0)
            kept.UserAgent = userAgent;
        requestFeature.Headers = kept;
        head.ReleaseHeaders();
        responseFeature.Headers = new HeaderDictionary();
    }
}
