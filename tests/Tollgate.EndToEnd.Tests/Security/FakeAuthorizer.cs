using System.Collections.Concurrent;
using System.Net;
using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>
/// A real HTTP authorization service on loopback, as seed 001's authentication API: each path answers
/// one way (/allow 200 with identity headers, /deny401, /deny403, /fail500, /slow never in time) and
/// every request it receives is recorded.
/// </summary>
public sealed class FakeAuthorizer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeAuthorizer()
    {
        Port = FreePorts.Take();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    public int CountFor(string path) => Requests.Count(r => r.Path == path);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => AnswerAsync(ctx));
        }
    }

    private async Task AnswerAsync(HttpListenerContext ctx)
    {
        var path = ctx.Request.Url!.AbsolutePath;
        Requests.Enqueue((path, ctx.Request.Headers.AllKeys.Where(k => k is not null)
            .ToDictionary(k => k!.ToLowerInvariant(), k => ctx.Request.Headers[k] ?? "")));
        try
        {
            switch (path)
            {
                case "/allow":
                    ctx.Response.StatusCode = 200;
                    ctx.Response.AddHeader("X-User", "alice@example.com");
                    ctx.Response.AddHeader("X-Secret-Internal", "not for the backend");
                    break;
                case "/deny401":
                    ctx.Response.StatusCode = 401;
                    ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"partner\"");
                    break;
                case "/deny403":
                    ctx.Response.StatusCode = 403;
                    break;
                case "/fail500":
                    ctx.Response.StatusCode = 500;
                    break;
                case "/slow":
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                    ctx.Response.StatusCode = 200;
                    break;
                default:
                    ctx.Response.StatusCode = 404;
                    break;
            }
            ctx.Response.Close();
        }
        catch (Exception)
        {
            try { ctx.Response.Abort(); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        _stop.Dispose();
    }
}
