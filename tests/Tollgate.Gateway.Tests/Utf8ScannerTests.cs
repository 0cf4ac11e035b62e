using System.Text;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>
/// The client's text messages must be UTF-8 (RFC 6455 8.1): the scanner checks masked bytes, across reads and fragments.
/// Both relay engines use this scanner; <see cref="Utf8CheckTests"/> checks the rule through each relay.
/// </summary>
public sealed class Utf8ScannerTests
{
    private const uint Mask = 0xA1B2C3D4;

    internal static byte[] Masked(byte[] payload)
    {
        var mask = new byte[] { 0xA1, 0xB2, 0xC3, 0xD4 };
        return payload.Select((b, i) => (byte)(b ^ mask[i % 4])).ToArray();
    }

    internal static byte[] Frame(byte opcode, byte[] payload, bool fin = true, byte rsv = 0) =>
        [.. FrameScannerTests.Header(opcode, payload.Length, fin, Mask, rsv), .. Masked(payload)];

    /// <summary>Feeds <paramref name="wire"/> in reads of <paramref name="readSize"/> bytes; returns the first non-progress event.</summary>
    private static FrameEvent Scan(byte[] wire, int readSize)
    {
        var scanner = new FrameScanner(fromClient: true, maxMessageBytes: 0, checkUtf8: true);
        var pending = new List<byte>();
        for (int offset = 0; offset < wire.Length; offset += readSize)
        {
            pending.AddRange(wire.Skip(offset).Take(readSize));
            while (pending.Count > 0)
            {
                var data = pending.ToArray();
                var ev = scanner.Next(data, out int consumed, out _, out _);
                if (ev is FrameEvent.InvalidUtf8 or FrameEvent.ProtocolError or FrameEvent.MessageTooBig)
                    return ev;
                if (ev == FrameEvent.NeedMore)
                    break;
                pending.RemoveRange(0, consumed);
            }
        }
        return FrameEvent.Payload;
    }

    public static TheoryData<int> ReadSizes => new() { 1, 2, 3, 5, 7, 64, 4096 };

    [Theory]
    [MemberData(nameof(ReadSizes))]
    public void Valid_multibyte_text_passes_however_it_is_split(int readSize)
    {
        var text = Encoding.UTF8.GetBytes("héllo wörld — 日本語 😀 " + new string('x', 700) + "€");
        Assert.Equal(FrameEvent.Payload, Scan(Frame(FrameHeader.Text, text), readSize));
    }

    [Theory]
    [MemberData(nameof(ReadSizes))]
    public void A_character_split_across_fragments_passes(int readSize)
    {
        var euro = Encoding.UTF8.GetBytes("€"); // E2 82 AC
        byte[] wire = [.. Frame(FrameHeader.Text, [.. "a"u8, euro[0]], fin: false), .. Frame(FrameHeader.Continuation, [euro[1], euro[2], .. "b"u8])];
        Assert.Equal(FrameEvent.Payload, Scan(wire, readSize));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]             // lead byte followed by ASCII
    [InlineData(new byte[] { 0x80 })]                   // lone continuation byte
    [InlineData(new byte[] { 0xC0, 0xAF })]             // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]       // UTF-16 surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 })]       // message ends inside a character
    [InlineData(new byte[] { 0xFF })]
    public void Invalid_text_is_reported(byte[] payload)
    {
        foreach (var readSize in new[] { 1, 3, 4096 })
            Assert.Equal(FrameEvent.InvalidUtf8, Scan(Frame(FrameHeader.Text, payload), readSize));
    }

    [Fact]
    public void A_message_ending_inside_a_character_on_an_empty_final_fragment_is_reported()
    {
        byte[] wire = [.. Frame(FrameHeader.Text, [0x61, 0xE2], fin: false), .. Frame(FrameHeader.Continuation, [])];
        Assert.Equal(FrameEvent.InvalidUtf8, Scan(wire, 4096));
    }

    [Fact]
    public void Binary_and_compressed_messages_are_not_checked()
    {
        Assert.Equal(FrameEvent.Payload, Scan(Frame(FrameHeader.Binary, [0xFF, 0xC3, 0x28]), 4096));
        Assert.Equal(FrameEvent.Payload, Scan(Frame(FrameHeader.Text, [0xFF, 0x00], rsv: 0b100), 4096));
    }
}
