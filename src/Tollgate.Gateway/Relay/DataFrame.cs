using System.Buffers.Binary;

namespace Tollgate.Gateway.Relay;

/// <summary>Builds the gateway's own data frames to the client (unmasked, one frame per message).</summary>
internal static class DataFrame
{
    public static byte[] Build(ReadOnlySpan<byte> payload, bool text)
    {
        int headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[headerLength + payload.Length];
        frame[0] = (byte)(0x80 | (text ? FrameHeader.Text : FrameHeader.Binary));
        if (payload.Length < 126)
        {
            frame[1] = (byte)payload.Length;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(2), payload.Length);
        }
        payload.CopyTo(frame.AsSpan(headerLength));
        return frame;
    }
}
