using System.Buffers;
using System.Buffers.Binary;

namespace Tollgate.Gateway.Relay;

/// <summary>One parsed WebSocket frame header (RFC 6455 5.2).</summary>
internal readonly record struct FrameHeader(bool Fin, byte Rsv, byte Opcode, bool Masked, uint MaskKey, long PayloadLength, int HeaderLength)
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>2-byte base + 8-byte length + 4-byte mask key.</summary>
    public const int MaxHeaderLength = 14;
    public const int MaxControlPayload = 125;

    public bool IsControl => (Opcode & 0x8) != 0;

    /// <summary>
    /// Parses a header at the start of <paramref name="data"/>: Done, NeedMoreData when the header is split
    /// across reads, InvalidData for a 64-bit length with its top bit set (RFC 6455 5.2 forbids it).
    /// </summary>
    public static OperationStatus TryParse(ReadOnlySpan<byte> data, out FrameHeader header)
    {
        header = default;
        if (data.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }
        byte b0 = data[0], b1 = data[1];
        bool masked = (b1 & 0x80) != 0;
        int length7 = b1 & 0x7F;
        int headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (data.Length < headerLength)
        {
            return OperationStatus.NeedMoreData;
        }
        long payloadLength = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            127 => BinaryPrimitives.ReadInt64BigEndian(data[2..]),
            _ => length7,
        };
        if (payloadLength < 0)
        {
            return OperationStatus.InvalidData;
        }
        uint mask = masked ? BinaryPrimitives.ReadUInt32BigEndian(data[(headerLength - 4)..]) : 0;
        header = new FrameHeader((b0 & 0x80) != 0, (byte)((b0 >> 4) & 0x7), (byte)(b0 & 0xF), masked, mask, payloadLength, headerLength);
        return OperationStatus.Done;
    }
}
