using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Gateway.Relay;

/// <summary>Builds the gateway's own close frames and reads the code and reason of relayed ones.</summary>
internal static class CloseFrame
{
    /// <summary>125-byte control payload minus the 2-byte code.</summary>
    public const int MaxReasonBytes = FrameHeader.MaxControlPayload - 2;

    /// <summary>
    /// A complete close frame. Frames to the backend are masked (the gateway is its client), frames to the
    /// client are not (RFC 6455 5.1). The reason is cut to 123 UTF-8 bytes on a character boundary.
    /// </summary>
    public static byte[] Build(ushort code, string? reason, bool masked)
    {
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason ?? "");
        int reasonLength = reasonBytes.Length;
        if (reasonLength > MaxReasonBytes)
        {
            reasonLength = MaxReasonBytes;
            while (reasonLength > 0 && (reasonBytes[reasonLength] & 0xC0) == 0x80)
            {
                reasonLength--;
            }
        }
        int payloadLength = 2 + reasonLength;
        int headerLength = masked ? 6 : 2;
        var frame = new byte[headerLength + payloadLength];
        frame[0] = 0x80 | FrameHeader.Close;
        frame[1] = (byte)((masked ? 0x80 : 0) | payloadLength);
        var payload = frame.AsSpan(headerLength);
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reasonBytes.AsSpan(0, reasonLength).CopyTo(payload[2..]);
        if (masked)
        {
            var key = frame.AsSpan(2, 4);
            RandomNumberGenerator.Fill(key);
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }
        return frame;
    }

    /// <summary>
    /// Code and reason of a complete close frame (header included). No code gives 1005 (RFC 6455 7.1.5);
    /// a malformed payload (1 byte, bad UTF-8) gives a null code, and the frame is still relayed unchanged.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> frame, in FrameHeader header, out ushort? code, out string? reason)
    {
        var payload = frame.Slice(header.HeaderLength, (int)header.PayloadLength);
        code = null;
        reason = null;
        if (payload.Length == 0)
        {
            code = 1005;
            return;
        }
        if (payload.Length == 1)
        {
            return;
        }
        Span<byte> clear = stackalloc byte[FrameHeader.MaxControlPayload];
        clear = clear[..payload.Length];
        payload.CopyTo(clear);
        if (header.Masked)
        {
            for (int i = 0; i < clear.Length; i++)
            {
                clear[i] ^= (byte)(header.MaskKey >> (24 - 8 * (i & 3)));
            }
        }
        code = BinaryPrimitives.ReadUInt16BigEndian(clear);
        try
        {
            reason = Strict.GetString(clear[2..]);
        }
        catch (DecoderFallbackException)
        {
            reason = null;
        }
    }

    /// <summary>Codes an endpoint may send (RFC 6455 7.4): 1004-1006 and 1015 are reserved, below 1000 and from 5000 invalid.</summary>
    public static bool IsSendable(ushort code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
