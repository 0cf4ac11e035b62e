using System.Net.Sockets;
using Tollgate.Gateway.Relay;

namespace Tollgate.Gateway.Tests;

/// <summary>A fast sender and a backend that does not read: the relay must stall the sender, not buffer its bytes.</summary>
public abstract class BackPressureTests
{
    protected abstract RelayEngine Engine { get; }

    private const int FrameBytes = 64 * 1024;
    private const long TotalBytes = 256L * 1024 * 1024;
    // Kernel buffers of the four sockets (loopback auto-tuning can grow them to a few MiB each) plus the relay's buffer.
    private const long BufferedBound = 32L * 1024 * 1024;

    [Fact]
    public async Task A_backend_that_does_not_read_stalls_the_sender_with_bounded_buffering()
    {
        var (client, clientRelayEnd) = await LoopbackPair.CreateAsync();
        var (backendRelayEnd, backend) = await LoopbackPair.CreateAsync();
        var counters = new RelayCounters();
        var relay = RelayEngines.Start(Engine, clientRelayEnd, backendRelayEnd, default, new RelayOptions { MaxMessageBytes = 0 }, counters);

        var frame = new byte[FrameBytes + 14];
        var header = FrameScannerTests.Header(0x2, FrameBytes, fin: true, mask: 0x01020304);
        header.CopyTo(frame, 0);
        frame = frame[..(header.Length + FrameBytes)];
        long sent = 0;
        using var stop = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            try
            {
                while (sent < TotalBytes)
                {
                    await client.WriteAsync(frame, stop.Token);
                    Interlocked.Add(ref sent, frame.Length);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // Wait until the sender makes no progress any more (it is blocked by TCP flow control), or has sent everything.
        long last = -1;
        for (var i = 0; i < 600 && !sender.IsCompleted; i++)
        {
            await Task.Delay(100);
            var now = Interlocked.Read(ref sent);
            if (now == last)
                break;
            last = now;
        }

        var buffered = Interlocked.Read(ref sent);
        Assert.False(sender.IsCompleted, $"the sender wrote all {TotalBytes} bytes although the backend read none");
        Assert.True(buffered <= BufferedBound, $"{buffered} bytes were accepted while the backend read none (bound {BufferedBound})");
        Assert.True(counters.BytesIn <= buffered);

        // Once the backend reads, everything flows again: nothing was lost or dropped.
        var drained = 0L;
        var buffer = new byte[256 * 1024];
        var reader = Task.Run(async () =>
        {
            int n;
            while ((n = await backend.ReadAsync(buffer)) > 0)
                Interlocked.Add(ref drained, n);
        });
        await sender.WaitAsync(TimeSpan.FromMinutes(2));
        var wireBytes = TotalBytes / FrameBytes * frame.Length;
        Assert.Equal(wireBytes, Interlocked.Read(ref sent));
        for (var i = 0; i < 600 && Interlocked.Read(ref drained) < wireBytes; i++)
            await Task.Delay(100);
        Assert.Equal(wireBytes, Interlocked.Read(ref drained));
        relay.RequestClose(1001, "test over");
        client.Close();
        backend.Close();
        await relay.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TotalBytes, counters.BytesIn);
        _ = reader;
    }
}

public sealed class BackPressureTestsOnStreamRelay : BackPressureTests
{
    protected override RelayEngine Engine => RelayEngine.Stream;
}

public sealed class BackPressureTestsOnSocketLoop : BackPressureTests
{
    protected override RelayEngine Engine => RelayEngine.Loop;
}
