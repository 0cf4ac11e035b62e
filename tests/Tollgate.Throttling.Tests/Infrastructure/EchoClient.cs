using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Tollgate.Throttling.Tests.Infrastructure;

/// <summary>A real ClientWebSocket through the gateway to the echo backend, recording when each echo came back.</summary>
public sealed class EchoClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws;
    private readonly List<(string Text, double AtSeconds)> _echoes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _receiver;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EchoClient(ClientWebSocket ws)
    {
        _ws = ws;
        _receiver = Task.Run(ReceiveAsync);
    }

    public WebSocket Socket => _ws;

    public static ClientWebSocket NewSocket(string token)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        ws.Options.CollectHttpResponseDetails = true;
        return ws;
    }

    public static async Task<EchoClient> ConnectAsync(Uri url, string token)
    {
        var ws = NewSocket(token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(url, cts.Token);
        return new EchoClient(ws);
    }

    public double Now => _clock.Elapsed.TotalSeconds;

    public int EchoCount
    {
        get { lock (_echoes) return _echoes.Count; }
    }

    public (string Text, double AtSeconds)[] Echoes
    {
        get { lock (_echoes) return _echoes.ToArray(); }
    }

    public WebSocketCloseStatus? CloseStatus => _ws.CloseStatus;
    public string? CloseDescription => _ws.CloseStatusDescription;
    public Task Closed => _closed.Task;

    public Task SendAsync(string text) =>
        _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Sends <paramref name="count"/> messages "m0", "m1"… at <paramref name="perSecond"/> (paced on the clock, not by sleeps adding up).</summary>
    public async Task SendPacedAsync(int count, double perSecond, int first = 0)
    {
        double start = Now;
        for (int i = 0; i < count; i++)
        {
            double due = start + i / perSecond;
            double wait = due - Now;
            if (wait > 0.001)
                await Task.Delay(TimeSpan.FromSeconds(wait));
            if (_ws.State != WebSocketState.Open)
                return;
            SentAt.Add(Now);
            await SendAsync($"m{first + i}");
        }
    }

    /// <summary>When each paced message really went (seconds on <see cref="Now"/>): a late timer on a busy machine bunches them.</summary>
    public List<double> SentAt { get; } = [];

    /// <summary>Waits until <paramref name="count"/> echoes arrived, or until none came for <paramref name="quiet"/>.</summary>
    public async Task<int> WaitForEchoesAsync(int count, TimeSpan quiet, TimeSpan max)
    {
        var deadline = Now + max.TotalSeconds;
        int last = -1;
        double lastChange = Now;
        while (Now < deadline)
        {
            int n = EchoCount;
            if (n >= count)
                return n;
            if (n != last)
            {
                last = n;
                lastChange = Now;
            }
            else if (Now - lastChange > quiet.TotalSeconds)
                return n;
            await Task.Delay(20);
        }
        return EchoCount;
    }

    /// <summary>Echoes per second between the <paramref name="from"/>-th and the <paramref name="to"/>-th echo.</summary>
    public double Rate(int from, int to)
    {
        var echoes = Echoes;
        return (to - from) / (echoes[to].AtSeconds - echoes[from].AtSeconds);
    }

    /// <summary>
    /// One over the median gap between echoes <paramref name="from"/>..<paramref name="to"/>: the gateway's spacing,
    /// unaffected by a stall of this test process (which delivers the buffered echoes at once, seen as one long gap).
    /// </summary>
    public double SpacingRate(int from, int to)
    {
        var echoes = Echoes;
        var gaps = Enumerable.Range(from + 1, to - from).Select(i => echoes[i].AtSeconds - echoes[i - 1].AtSeconds).Order().ToArray();
        return 1 / gaps[gaps.Length / 2];
    }

    public async Task CloseAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token); } catch (Exception) { }
        }
        await Task.WhenAny(_closed.Task, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await _ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                int n = result.Count;
                while (!result.EndOfMessage)
                {
                    result = await _ws.ReceiveAsync(buffer.AsMemory(n), CancellationToken.None);
                    n += result.Count;
                }
                lock (_echoes) _echoes.Add((Encoding.UTF8.GetString(buffer, 0, n), Now));
            }
        }
        catch (Exception)
        {
            // connection dropped; the test looks at what arrived
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _ws.Dispose();
        await Task.WhenAny(_receiver, Task.Delay(1000));
    }
}
