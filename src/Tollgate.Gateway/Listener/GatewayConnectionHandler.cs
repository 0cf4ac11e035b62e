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
    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        var transport = connection.Transport;
        var tls = connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var first = true;
        try
        {
            while (true)
            {
                var reader = new RequestHeadReader(options.MaxRequestHeadBytes);
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping))
                {
                    timeout.CancelAfter(first ? options.HandshakeTimeout : options.KeepAliveTimeout + options.HandshakeTimeout);
                    if (!await ReadHeadAsync(transport.Input, reader, timeout.Token))
                        return;
                }
                first = false;
                if (!await ServeAsync(connection, transport, reader.Head, tls))
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
        var context = HandshakeContext.Create(head, tls, connection.RemoteEndPoint as IPEndPoint, connection.LocalEndPoint as IPEndPoint,
            connection.ConnectionId, connection.ConnectionClosed, services);
        var http = context.Http;
        var upgrade = new UpgradeFeature(transport, http.Response, context.Request, context.Response, head, context.Upgradable,
            tls ? null : connection.Features.Get<Transport.ISocketHandover>());
        http.Features.Set<IHttpUpgradeFeature>(upgrade);

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
        await transport.Output.WriteAsync(await context.RefusalBytesAsync(head.Method));
        return context.KeepAlive;
    }

    /// <summary>Reads one request head; false when the connection ended cleanly before a request began.</summary>
    private async Task<bool> ReadHeadAsync(PipeReader input, RequestHeadReader head, CancellationToken token)
    {
        while (true)
        {
            var result = await input.ReadAsync(token);
            var buffer = result.Buffer;
            if (head.TryRead(buffer, out var consumed))
            {
                input.AdvanceTo(consumed);
                return true;
            }
            if (result.IsCompleted)
            {
                if (buffer.IsEmpty && head.NothingRead)
                    return false;
                throw new BadRequest(400, "The connection ended in the middle of the request head.");
            }
            input.AdvanceTo(consumed, buffer.End);
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
}
