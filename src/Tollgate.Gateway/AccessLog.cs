using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Connections;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway;

/// <summary>One structured line per connection when it ends. Never a token, secret or key: only ids and counts.</summary>
internal static partial class AccessLog
{
    public static void Connection(ILogger logger, LiveConnection c, System.Net.IPAddress? client, RelayResult? result, double handshakeMs, TimeSpan duration)
    {
        // The arguments cost an address and an enum formatted per connection: skip them when the line is off.
        if (!logger.IsEnabled(LogLevel.Information))
            return;
        Write(logger, c.Route.Label, c.Identity.ApplicationId, c.Identity.ApplicationName, c.Identity.Subscriber,
            client?.ToString() ?? "", Math.Round(handshakeMs, 2), Math.Round(duration.TotalMilliseconds),
            c.Counters.MessagesIn, c.Counters.BytesIn, c.Counters.MessagesOut, c.Counters.BytesOut,
            result?.CloseCode, result?.CloseReason, result?.ClosedBy.ToString() ?? "aborted", result?.Error);
    }

    /// <summary>For analytics: how many of the connection's messages throttling held (shape) or dropped.</summary>
    public static void Throttled(ILogger logger, LiveConnection c, long shaped, long dropped) =>
        WriteThrottled(logger, c.Route.Label, c.Identity.ApplicationId, c.Identity.Subscription?.Plan ?? "-", shaped, dropped);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message =
        "throttled api={Api} appId={ApplicationId} plan={Plan} shaped={Shaped} dropped={Dropped}")]
    private static partial void WriteThrottled(ILogger logger, string api, Guid applicationId, string plan, long shaped, long dropped);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message =
        "access api={Api} appId={ApplicationId} app={Application} subscriber={Subscriber} client={Client} handshakeMs={HandshakeMs} durationMs={DurationMs} " +
        "msgsIn={MessagesIn} bytesIn={BytesIn} msgsOut={MessagesOut} bytesOut={BytesOut} closeCode={CloseCode} closeReason={CloseReason} closedBy={ClosedBy} error={Error}")]
    private static partial void Write(ILogger logger, string api, Guid applicationId, string application, string subscriber, string client,
        double handshakeMs, double durationMs, long messagesIn, long bytesIn, long messagesOut, long bytesOut,
        ushort? closeCode, string? closeReason, string closedBy, string? error);
}
