using System.Buffers;
using Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// Parses one request head from whatever bytes have arrived so far, with Kestrel's own parser (the same grammar checks as
/// the HTTP stack) and the gateway's size limits: 414 for a long request line, 431 for large headers. Used by both fronts
/// (Kestrel's connection pipe and the socket loop's handshake).
/// </summary>
internal sealed class RequestHeadReader(int maxRequestHeadBytes)
{
    private static readonly HttpParser<RequestHead> Parser = new(showErrorDetails: false);

    private long _consumedTotal;
    private long _lineBytes = -1; // the request line's length once parsed: the header limit counts the header lines only, as Kestrel's

    public RequestHead Head { get; private set; } = new();

    /// <summary>
    /// Parses on from <paramref name="buffer"/> (the bytes not consumed by an earlier call). True once the head is complete.
    /// <paramref name="consumed"/> is how many bytes of <paramref name="buffer"/> were used; the rest must be offered again.
    /// </summary>
    /// <exception cref="BadRequest">The request line or the headers are too long, or the request is malformed.</exception>
    /// <exception cref="Microsoft.AspNetCore.Http.BadHttpRequestException">Kestrel's parser rejected the request.</exception>
    public bool TryRead(ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var head = Head;
        var reader = new SequenceReader<byte>(buffer);
        if (!head.StartLineDone)
        {
            if (Parser.ParseRequestLine(head, ref reader))
                _lineBytes = _consumedTotal + reader.Consumed;
            else if (buffer.Length > GatewayListenerOptions.MaxRequestLineBytes)
                throw new BadRequest(414, "The request line is too long.");
        }
        if (head.StartLineDone && !head.HeadersDone)
            Parser.ParseHeaders(head, ref reader);
        _consumedTotal += reader.Consumed;
        var headerBytes = _lineBytes < 0 ? 0 : _consumedTotal - _lineBytes + (head.HeadersDone ? 0 : reader.Remaining);
        if (headerBytes > maxRequestHeadBytes)
            throw new BadRequest(431, "The request headers are too large.");
        consumed = reader.Position;
        return head.HeadersDone;
    }

    /// <summary>True when nothing of a request has been consumed yet (a connection that ends here ended cleanly).</summary>
    public bool NothingRead => _consumedTotal == 0;

    /// <summary>For the next request on a kept-alive connection.</summary>
    public void Reset()
    {
        Head = new RequestHead();
        _consumedTotal = 0;
        _lineBytes = -1;
    }
}
