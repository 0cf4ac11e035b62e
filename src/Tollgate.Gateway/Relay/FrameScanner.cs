using System.Buffers;
using System.Text.Unicode;

namespace Tollgate.Gateway.Relay;

/// <summary>What <see cref="FrameScanner.Next"/> found at the current position.</summary>
internal enum FrameEvent : byte
{
    /// <summary>An incomplete header (or control frame) starts here: keep these bytes and read more.</summary>
    NeedMore,
    /// <summary>The header of a data frame (text, binary, continuation); its payload follows as <see cref="Payload"/>.</summary>
    DataHeader,
    /// <summary>Payload bytes of the current data frame.</summary>
    Payload,
    /// <summary>A complete control frame, header and payload (at most 139 bytes).</summary>
    Control,
    /// <summary>Invalid framing (RFC 6455): the peer must be closed with 1002. Nothing was consumed.</summary>
    ProtocolError,
    /// <summary>This data frame would take its message past the limit: close with 1009. Nothing was consumed.</summary>
    MessageTooBig,
    /// <summary>A text message that is not valid UTF-8 (RFC 6455 8.1): close with 1007. Nothing was consumed.</summary>
    InvalidUtf8,
}

/// <summary>
/// Incremental frame scanner for one direction, in the style of YARP's WebSocketsParser: it reads headers only
/// and steps over payloads, keeping per-direction state (payload left in the current frame, fragmented message
/// in progress, message size so far). Headers and control frames are reported only when complete, so a caller
/// that forwards everything consumed and keeps the rest always stops at a frame boundary when
/// <see cref="AtFrameBoundary"/> — which is what lets the gateway inject its own close frames.
/// </summary>
internal struct FrameScanner(bool fromClient, long maxMessageBytes, bool checkUtf8 = false)
{
    private long _payloadRemaining;
    private bool _frameFin;
    private bool _inMessage;
    private long _messageBytes;
    // UTF-8 checking of text messages (client to backend): the mask, where the payload is in it, and up to
    // three bytes of a character split across frames or reads.
    private bool _textMessage;
    private uint _mask;
    private int _maskPos;
    private int _pendingCount;
    private uint _pending;

    /// <summary>Once the relay gave up on a direction it only steps over frames (to find the close): no limits, no checks.</summary>
    public bool Lenient { get; set; }

    /// <summary>True when everything consumed so far ends exactly at the end of a frame.</summary>
    public readonly bool AtFrameBoundary => _payloadRemaining == 0;

    /// <summary>
    /// Steps back over the header of a message's first frame that <see cref="Next"/> just reported, as if it had not
    /// been read (throttling holds or drops the message before any byte of it goes).
    /// </summary>
    public void UndoMessageStart()
    {
        _payloadRemaining = 0;
        _inMessage = false;
        _messageBytes = 0;
        _frameFin = true;
    }

    /// <summary>True between the first and the last frame of a fragmented data message.</summary>
    public readonly bool InMessage => _inMessage || _payloadRemaining > 0;

    /// <summary>Payload bytes of the current (possibly fragmented) data message so far.</summary>
    public readonly long MessageBytes => _messageBytes;

    /// <summary>
    /// Scans at the start of <paramref name="data"/> (non-empty). <paramref name="consumed"/> bytes belong to the
    /// reported event; <paramref name="messageEnded"/> is set when those bytes complete a data message (its FIN frame).
    /// </summary>
    public FrameEvent Next(ReadOnlySpan<byte> data, out int consumed, out FrameHeader header, out bool messageEnded)
    {
        header = default;
        if (_payloadRemaining > 0)
        {
            consumed = (int)Math.Min(_payloadRemaining, data.Length);
            bool frameEnds = consumed == _payloadRemaining;
            if (_textMessage && !Lenient && !CheckUtf8(data[..consumed], messageEnds: frameEnds && _frameFin))
            {
                consumed = 0;
                messageEnded = false;
                return FrameEvent.InvalidUtf8;
            }
            _payloadRemaining -= consumed;
            messageEnded = _payloadRemaining == 0 && _frameFin;
            return FrameEvent.Payload;
        }

        consumed = 0;
        messageEnded = false;
        var status = FrameHeader.TryParse(data, out header);
        if (status == OperationStatus.NeedMoreData)
        {
            return FrameEvent.NeedMore;
        }
        if (status != OperationStatus.Done)
        {
            return FrameEvent.ProtocolError;
        }

        if (header.IsControl)
        {
            // Control frames are at most 125 bytes and never fragmented (RFC 6455 5.5); only 8, 9, 10 are defined.
            // Extensions must not set RSV1 on them (RFC 7692 6.1). A lenient scanner cannot step over a larger
            // one either, as control frames are reported whole.
            if (header.PayloadLength > FrameHeader.MaxControlPayload
                || (!Lenient && (!header.Fin || header.Rsv != 0 || header.Opcode > FrameHeader.Pong || header.Masked != fromClient)))
            {
                return FrameEvent.ProtocolError;
            }
            int total = header.HeaderLength + (int)header.PayloadLength;
            if (data.Length < total)
            {
                return FrameEvent.NeedMore;
            }
            consumed = total;
            return FrameEvent.Control;
        }

        bool continuation = header.Opcode == FrameHeader.Continuation;
        long messageBytes = (continuation ? _messageBytes : 0) + header.PayloadLength;
        if (!Lenient)
        {
            // RSV1 is permessage-deflate's (RFC 7692) and passes; RSV2/RSV3 belong to no extension in use.
            if (header.Opcode > FrameHeader.Binary || (header.Rsv & 0b011) != 0 || header.Masked != fromClient
                || continuation != _inMessage)
            {
                return FrameEvent.ProtocolError;
            }
            if (maxMessageBytes > 0 && messageBytes > maxMessageBytes)
            {
                return FrameEvent.MessageTooBig;
            }
        }

        if (!continuation)
        {
            // A compressed message (permessage-deflate sets RSV1 on its first frame) cannot be checked without inflating it.
            _textMessage = checkUtf8 && header.Opcode == FrameHeader.Text && (header.Rsv & 0b100) == 0;
            _pendingCount = 0;
        }
        if (_textMessage && !Lenient && header.Fin && header.PayloadLength == 0 && _pendingCount > 0)
        {
            return FrameEvent.InvalidUtf8; // the message ends in the middle of a character
        }
        _mask = header.MaskKey;
        _maskPos = 0;
        _messageBytes = messageBytes;
        _inMessage = !header.Fin;
        _frameFin = header.Fin;
        _payloadRemaining = header.PayloadLength;
        consumed = header.HeaderLength;
        messageEnded = header.Fin && header.PayloadLength == 0;
        return FrameEvent.DataHeader;
    }

    /// <summary>
    /// Unmasks <paramref name="masked"/> into a small stack buffer, a piece at a time, and checks it is UTF-8,
    /// carrying an incomplete character over to the next piece. Nothing is allocated or kept beyond 3 bytes.
    /// </summary>
    private bool CheckUtf8(ReadOnlySpan<byte> masked, bool messageEnds)
    {
        Span<byte> buffer = stackalloc byte[512];
        int offset = 0;
        while (offset < masked.Length)
        {
            int pending = _pendingCount;
            for (int i = 0; i < pending; i++)
            {
                buffer[i] = (byte)(_pending >> (8 * i));
            }
            int n = Math.Min(masked.Length - offset, buffer.Length - pending);
            for (int i = 0; i < n; i++)
            {
                buffer[pending + i] = (byte)(masked[offset + i] ^ (byte)(_mask >> (8 * (3 - ((_maskPos + i) & 3)))));
            }
            _maskPos = (_maskPos + n) & 3;
            offset += n;
            var chunk = buffer[..(pending + n)];
            int tail = IncompleteTail(chunk);
            if (!Utf8.IsValid(chunk[..^tail]))
            {
                return false;
            }
            _pendingCount = tail;
            _pending = 0;
            for (int i = 0; i < tail; i++)
            {
                _pending |= (uint)chunk[chunk.Length - tail + i] << (8 * i);
            }
        }
        return !messageEnds || _pendingCount == 0;
    }

    /// <summary>How many bytes at the end start a character that needs more bytes than are here (0 to 3).</summary>
    private static int IncompleteTail(ReadOnlySpan<byte> data)
    {
        for (int back = 1; back <= 3 && back <= data.Length; back++)
        {
            byte b = data[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: the lead is further back
            }
            int needed = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? back : 0;
        }
        return 0;
    }
}
