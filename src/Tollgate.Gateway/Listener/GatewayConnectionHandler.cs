using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// The gateway port without Kestrel's HTTP layer: parses the upgrade request from the connection's pipe itself (with
/// Kestrel's parser, so the grammar checks are the same), runs the same <see cref="GatewayRequestHandler"/> over a
/// small <see cref="DefaultHttpContext"/>, writes the 101 or the refusal, and relays straight on the transport pipes.
/// Once upgraded, no HTTP/1.1 connection state (parser, header tables, body streams, output producer) stays alive, and
/// each relayed chunk takes one pipe hop instead of the HTTP layer's several.
/// </summary>
internal sealed class GatewayConnectionHandler(
    GatewayRequestHandler handler,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    GatewayListenerOptions options,
    ILogger<GatewayConnectionHandler> logger)
{
    private static readonly HttpParser<RequestHead> Parser = new(showErrorDetails: false);

    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        var transport = connection.Transport;
        var tls = connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var first = true;
        try
        {
            while (true)
            {
                var head = new RequestHead();
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping))
                {
                    timeout.CancelAfter(first ? options.HandshakeTimeout : options.KeepAliveTimeout + options.HandshakeTimeout);
                    if (!await ReadHeadAsync(transport.Input, head, timeout.Token))
                        return;
                }
                first = false;
                if (!await ServeAsync(connection, transport, head, tls))
                    return;
            }
        }
        catch (BadHttpRequestException e)
        {
            await TryWriteErrorAsync(transport.Output, e.StatusCode, "Bad request: the HTTP request is malformed.");
        }
        catch (BadRequest e)
        {
            await TryWriteErrorAsync(transport.Output, e.Status, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Handshake time-out, shutdown, or the client went away: just close.
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or InvalidOperationException)
        {
            logger.LogDebug(e, "Gateway connection {Id} ended", connection.ConnectionId);
        }
    }

    /// <summary>One request: true when the connection stays open for another (a refusal on a kept-alive connection).</summary>
    private async Task<bool> ServeAsync(ConnectionContext connection, IDuplexPipe transport, RequestHead head, bool tls)
    {
        IHeaderDictionary headers = head.Headers;
        if (head.IsHttp11 && headers.Host.Count != 1)
            throw new BadRequest(400, "An HTTP/1.1 request needs exactly one Host header.");
        var hasBody = headers.ContentLength is > 0 || headers.TransferEncoding.Count > 0;
        var connectionTokens = headers.Connection.ToString();
        var upgradable = head.IsHttp11 && !hasBody && HasToken(connectionTokens, "upgrade");
        var keepAlive = head.IsHttp11 && !hasBody && !HasToken(connectionTokens, "close");

        var features = new FeatureCollection();
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
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var local = connection.LocalEndPoint as IPEndPoint;
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = connection.ConnectionClosed });
        var http = new DefaultHttpContext(features) { RequestServices = services };
        var upgrade = new UpgradeFeature(transport, http.Response, request, response, head, upgradable,
            tls ? null : connection.Features.Get<Transport.ISocketHandover>());
        features.Set<IHttpUpgradeFeature>(upgrade);

        try
        {
            await handler.HandleAsync(http);
        }
        catch (Exception e) when (!upgrade.Upgraded)
        {
            if (connection.ConnectionClosed.IsCancellationRequested)
                return false; // the client left during the handshake (e.g. while the backend was being called)
            logger.LogError(e, "Gateway handshake failed");
            await ResponseWriter.WriteErrorAsync(transport.Output, 500, "The gateway failed on this request.");
            return false;
        }
        if (upgrade.Upgraded)
            return false; // the relay ran and is over; the connection closes
        await bodyFeature.CompleteAsync();
        await ResponseWriter.WriteAsync(transport.Output, response.StatusCode, response.Headers, body.GetBuffer().AsMemory(0, (int)body.Length),
            close: !keepAlive, headRequest: HttpMethods.IsHead(head.Method));
        return keepAlive;
    }

    /// <summary>Reads one request head; false when the connection ended cleanly before a request began.</summary>
    private async Task<bool> ReadHeadAsync(PipeReader input, RequestHead head, CancellationToken token)
    {
        long consumedTotal = 0;
        long lineBytes = -1; // the request line's length once parsed: the header limit counts the header lines only, as Kestrel's
        while (true)
        {
            var result = await input.ReadAsync(token);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (!head.StartLineDone)
            {
                if (Parser.ParseRequestLine(head, ref reader))
                    lineBytes = consumedTotal + reader.Consumed;
                else if (buffer.Length > GatewayListenerOptions.MaxRequestLineBytes)
                    throw new BadRequest(414, "The request line is too long.");
            }
            if (head.StartLineDone && !head.HeadersDone)
                Parser.ParseHeaders(head, ref reader);
            consumedTotal += reader.Consumed;
            var headerBytes = lineBytes < 0 ? 0 : consumedTotal - lineBytes + (head.HeadersDone ? 0 : reader.Remaining);
            if (headerBytes > options.MaxRequestHeadBytes)
                throw new BadRequest(431, "The request headers are too large.");
            if (head.HeadersDone)
            {
                input.AdvanceTo(reader.Position);
                return true;
            }
            if (result.IsCompleted)
            {
                if (buffer.IsEmpty && consumedTotal == 0)
                    return false;
                throw new BadRequest(400, "The connection ended in the middle of the request head.");
            }
            input.AdvanceTo(reader.Position, buffer.End);
        }
    }

    private static async ValueTask TryWriteErrorAsync(PipeWriter output, int status, string message)
    {
        try
        {
            await ResponseWriter.WriteErrorAsync(output, status, message);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
        }
    }

    private static bool HasToken(string list, string token)
    {
        foreach (var range in list.AsSpan().Split(','))
            if (list.AsSpan()[range].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}
