using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Relay;

namespace Tollgate.Microbench;

/// <summary>The relay's per-chunk work: stepping over frame headers (payloads are skipped, never copied or unmasked).</summary>
[MemoryDiagnoser]
public class FrameScannerBench
{
    private byte[] _small = [];
    private byte[] _large = [];

    [GlobalSetup]
    public void Setup()
    {
        _small = Frames(payload: 64, count: 64);      // 64 masked 64 B binary messages in one read
        _large = Frames(payload: 64 * 1024, count: 1); // one 64 KiB message
    }

    private static byte[] Frames(int payload, int count)
    {
        var header = payload < 126 ? new byte[] { 0x82, (byte)(0x80 | payload), 1, 2, 3, 4 }
            : new byte[] { 0x82, 0x80 | 127, 0, 0, 0, 0, 0, (byte)(payload >> 16), (byte)(payload >> 8), (byte)payload, 1, 2, 3, 4 };
        var frame = new byte[header.Length + payload];
        header.CopyTo(frame, 0);
        return Enumerable.Repeat(frame, count).SelectMany(f => f).ToArray();
    }

    private static int Scan(ReadOnlySpan<byte> data)
    {
        var scanner = new FrameScanner(fromClient: true, maxMessageBytes: 1024 * 1024);
        int messages = 0;
        int pos = 0;
        while (pos < data.Length)
        {
            var ev = scanner.Next(data[pos..], out int consumed, out _, out bool ended);
            if (ev == FrameEvent.NeedMore)
                break;
            pos += consumed;
            if (ended)
                messages++;
        }
        return messages;
    }

    /// <summary>Per call: 64 messages of 64 B (divide by 64 for one message).</summary>
    [Benchmark]
    public int Scan_64_small_messages() => Scan(_small);

    [Benchmark]
    public int Scan_one_64KiB_message() => Scan(_large);
}
