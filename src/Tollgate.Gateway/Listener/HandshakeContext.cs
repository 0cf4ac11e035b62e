using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.Gateway.Http;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// The small <see cref="DefaultHttpContext"/> one upgrade request runs <see cref="GatewayRequestHandler"/> over, and what
/// the front needs to answer it afterwards (a refusal's status, headers and body; whether the connection stays open).
/// The caller adds the <see cref="IHttpUpgradeFeature"/> of its transport.
/// </summary>
internal sealed class HandshakeContext(DefaultHttpContext http, HttpRequestFeature request, HttpResponseFeature response, MemoryStream body,
    StreamResponseBodyFeature bodyFeature, bool upgradable, bool keepAlive)
{
    public DefaultHttpContext Http { get; } = http;
    public HttpRequestFeature Request { get; } = request;
    public HttpResponseFeature Response { get; } = response;
    public MemoryStream Body { get; } = body;
    public StreamResponseBodyFeature BodyFeature { get; } = bodyFeature;
    /// <summary>HTTP/1.1, no body, and "Connection: upgrade".</summary>
    public bool Upgradable { get; } = upgradable;
    /// <summary>After a refusal the connection may carry another request.</summary>
    public bool KeepAlive { get; } = keepAlive;

    /// <exception cref="BadRequest">An HTTP/1.1 request without exactly one Host header.</exception>
    public static HandshakeContext Create(RequestHead head, bool tls, IPEndPoint? remote, IPEndPoint? local, string connectionId,
        CancellationToken requestAborted, IServiceProvider services)
    {
        IHeaderDictionary headers = head.Headers;
        if (head.IsHttp11 && headers.Host.Count != 1)
            throw new BadRequest(400, "An HTTP/1.1 request needs exactly one Host header.");
        var hasBody = headers.ContentLength is > 0 || headers.TransferEncoding.Count > 0;
        var connectionTokens = headers.Connection.ToString();
        var upgradable = head.IsHttp11 && !hasBody && HeaderText.HasToken(connectionTokens, "upgrade");
        var keepAlive = head.IsHttp11 && !hasBody && !HeaderText.HasToken(connectionTokens, "close");

        var features = new HandshakeFeatures(services);
        var request = new HttpRequestFeature
        {
            Protocol = head.Protocol,
            Method = head.Method,
            Scheme = tls ? "https" : "http",
            PathBase = "",
            Path = head.Path,
            QueryString = head.Query,
            RawTarget = head.RawTarget,
            Headers = headers,
        };
        features.Set<IHttpRequestFeature>(request);
        var response = new HttpResponseFeature();
        features.Set<IHttpResponseFeature>(response);
        var body = new MemoryStream();
        var bodyFeature = new StreamResponseBodyFeature(body);
        features.Set<IHttpResponseBodyFeature>(bodyFeature);
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connectionId,
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = requestAborted });
        var http = new DefaultHttpContext(features); // its services come from the features, made only if a refusal asks
        return new HandshakeContext(http, request, response, body, bodyFeature, upgradable, keepAlive);
    }

    /// <summary>The refusal the handler wrote, as bytes for the wire.</summary>
    public async ValueTask<byte[]> RefusalBytesAsync(string method)
    {
        await BodyFeature.CompleteAsync();
        return ResponseWriter.Build(Response.StatusCode, Response.Headers, Body.GetBuffer().AsMemory(0, (int)Body.Length).Span,
            close: !KeepAlive, headRequest: HttpMethods.IsHead(method));
    }
}
