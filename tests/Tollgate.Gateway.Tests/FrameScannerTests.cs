using System.Buffers;
using System.Buffers.Binary;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

public sealed class FrameScannerTests
{
    /// <summary>Builds a frame header: opcode, FIN, payload length (picks the 7/16/64-bit form), optional mask key.</summary>
    internal static byte[] Header(byte opcode, long length, bool fin = true, uint? mask = null, byte rsv = 0)
    {
        var h = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        byte maskBit = mask is null ? (byte)0 : (byte)0x80;
        if (length < 126)
        {
            h.Add((byte)(maskBit | length));
        }
        else if (length <= ushort.MaxValue)
        {
            h.Add((byte)(maskBit | 126));
            h.Add((byte)(length >> 8));
            h.Add((byte)length);
        }
        else
        {
            h.Add((byte)(maskBit | 127));
            var l = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(l, length);
            h.AddRange(l);
        }
        if (mask is uint m)
        {
            var k = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(k, m);
            h.AddRange(k);
        }
        return [.. h];
    }

    [Theory]
    [InlineData(5, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    [InlineData(5_000_000_000L, 10)]
    [InlineData(long.MaxValue, 10)]
    public void Parses_7_16_and_64_bit_lengths(long length, int headerLength)
    {
        var bytes = Header(FrameHeader.Binary, length, mask: 0x01020304);
        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse(bytes, out var h));
        Assert.Equal(length, h.PayloadLength);
        Assert.Equal(headerLength + 4, h.HeaderLength);
        Assert.True(h.Masked);
        Assert.Equal(0x01020304u, h.MaskKey);
    }

    [Fact]
    public void Rejects_64_bit_length_with_top_bit_set()
    {
        byte[] bytes = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1];
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse(bytes, out _));
    }

    [Fact]
    public void Header_split_at_every_position_needs_more_then_parses()
    {
        var bytes = Header(FrameHeader.Text, 70_000, mask: 0xAABBCCDD); // 14-byte header
        for (int i = 0; i < bytes.Length; i++)
        {
            var scanner = new FrameScanner(fromClient: true, maxMessageBytes: 0);
            Assert.Equal(FrameEvent.NeedMore, scanner.Next(bytes.AsSpan(0, i == 0 ? 1 : i), out int consumed, out _, out _));
            Assert.Equal(0, consumed);
            Assert.True(scanner.AtFrameBoundary);
            // The caller keeps the partial header and retries with more bytes.
            Assert.Equal(FrameEvent.DataHeader, scanner.Next(bytes, out consumed, out var header, out _));
            Assert.Equal(14, consumed);
            Assert.Equal(70_000, header.PayloadLength);
            Assert.False(scanner.AtFrameBoundary);
        }
    }

    [Fact]
    public void Steps_over_payload_across_reads_and_counts_fragmented_message_once()
    {
        // text "abc" (not final) + ping + continuation "defgh" (final), as one byte stream fed in 3-byte reads.
        var stream = new List<byte>();
        stream.AddRange(Header(FrameHeader.Text, 3, fin: false, mask: 1));
        stream.AddRange("abc"u8.ToArray());
        stream.AddRange(Header(FrameHeader.Ping, 2, mask: 2));
        stream.AddRange("pi"u8.ToArray());
        stream.AddRange(Header(FrameHeader.Continuation, 5, mask: 3));
        stream.AddRange("defgh"u8.ToArray());
        var data = stream.ToArray();

        var scanner = new FrameScanner(fromClient: true, maxMessageBytes: 100);
        int messages = 0, controls = 0;
        long payload = 0;
        int pos = 0, available = 0;
        while (pos < data.Length)
        {
            available = Math.Min(data.Length, available + 3);
            while (pos < available)
            {
                var ev = scanner.Next(data.AsSpan(pos, available - pos), out int consumed, out _, out bool ended);
                if (ev == FrameEvent.NeedMore)
                {
                    break;
                }
                Assert.True(ev is FrameEvent.DataHeader or FrameEvent.Payload or FrameEvent.Control, ev.ToString());
                if (ev == FrameEvent.Payload) payload += consumed;
                if (ev == FrameEvent.Control) controls++;
                if (ended) messages++;
                pos += consumed;
            }
        }
        Assert.Equal(1, messages);
        Assert.Equal(1, controls);
        Assert.Equal(8, payload);
        Assert.Equal(8, scanner.MessageBytes);
        Assert.True(scanner.AtFrameBoundary);
    }

    [Fact]
    public void Empty_final_frame_ends_a_message_at_its_header()
    {
        var scanner = new FrameScanner(fromClient: false, maxMessageBytes: 0);
        Assert.Equal(FrameEvent.DataHeader, scanner.Next(Header(FrameHeader.Binary, 0), out _, out _, out bool ended));
        Assert.True(ended);
    }

    [Theory]
    [InlineData(FrameHeader.Binary, 10, true, null, (byte)0, false)]      // unmasked client frame
    [InlineData(3, 10, true, 1u, (byte)0, false)]                         // reserved data opcode
    [InlineData(0xB, 0, true, 1u, (byte)0, false)]                        // reserved control opcode
    [InlineData(FrameHeader.Ping, 126, true, 1u, (byte)0, false)]         // control frame over 125 bytes
    [InlineData(FrameHeader.Ping, 1, false, 1u, (byte)0, false)]          // fragmented control frame
    [InlineData(FrameHeader.Binary, 10, true, 1u, (byte)2, false)]        // RSV2
    [InlineData(FrameHeader.Continuation, 10, true, 1u, (byte)0, false)]  // continuation with no message started
    [InlineData(FrameHeader.Binary, 10, true, 1u, (byte)4, true)]         // RSV1 (permessage-deflate) is fine
    public void Validates_client_frames(byte opcode, long length, bool fin, uint? mask, byte rsv, bool valid)
    {
        var scanner = new FrameScanner(fromClient: true, maxMessageBytes: 0);
        var bytes = Header(opcode, length, fin, mask, rsv).Concat(new byte[length]).ToArray();
        var ev = scanner.Next(bytes, out int consumed, out _, out _);
        Assert.Equal(valid, ev != FrameEvent.ProtocolError);
        if (!valid) Assert.Equal(0, consumed);
    }

    [Fact]
    public void Backend_frames_must_not_be_masked()
    {
        var scanner = new FrameScanner(fromClient: false, maxMessageBytes: 0);
        Assert.Equal(FrameEvent.ProtocolError, scanner.Next(Header(FrameHeader.Text, 1, mask: 5), out _, out _, out _));
    }

    [Fact]
    public void Message_size_sums_fragments()
    {
        var scanner = new FrameScanner(fromClient: false, maxMessageBytes: 100);
        Assert.Equal(FrameEvent.DataHeader, scanner.Next(Header(FrameHeader.Binary, 60, fin: false), out _, out _, out _));
        Assert.Equal(FrameEvent.Payload, scanner.Next(new byte[60], out _, out _, out _));
        Assert.Equal(FrameEvent.MessageTooBig, scanner.Next(Header(FrameHeader.Continuation, 41), out int consumed, out _, out _));
        Assert.Equal(0, consumed);
        // A lenient scanner (draining after the violation) steps over it.
        scanner.Lenient = true;
        Assert.Equal(FrameEvent.DataHeader, scanner.Next(Header(FrameHeader.Continuation, 41), out _, out _, out _));
    }

    [Fact]
    public void Close_frames_round_trip_masked_and_unmasked()
    {
        foreach (bool masked in new[] { true, false })
        {
            var frame = CloseFrame.Build(4001, "bye ✓", masked);
            Assert.Equal(OperationStatus.Done, FrameHeader.TryParse(frame, out var h));
            Assert.Equal(FrameHeader.Close, h.Opcode);
            Assert.Equal(masked, h.Masked);
            CloseFrame.Read(frame, h, out var code, out var reason);
            Assert.Equal((ushort)4001, code);
            Assert.Equal("bye ✓", reason);
        }
        // Reasons are cut to 123 bytes without splitting a character.
        var longFrame = CloseFrame.Build(1000, new string('✓', 100), masked: false);
        FrameHeader.TryParse(longFrame, out var lh);
        Assert.Equal(2 + 123, lh.PayloadLength);
        CloseFrame.Read(longFrame, lh, out _, out var cut);
        Assert.Equal(new string('✓', 41), cut);
        // No payload: 1005.
        byte[] empty = [0x88, 0x00];
        FrameHeader.TryParse(empty, out var eh);
        CloseFrame.Read(empty, eh, out var none, out _);
        Assert.Equal((ushort)1005, none);
    }
}
