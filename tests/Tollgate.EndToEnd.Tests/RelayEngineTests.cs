using System.Net.WebSockets;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>
/// Which relay engine carries a connection through the real server: the socket loops for plain ws:// (Linux x86-64),
/// the stream relay when TOLLGATE_RELAY_LOOPS=0, and what either does when the gateway shuts down.
/// </summary>
public sealed class RelayEngineTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Plain_ws_connections_are_relayed_by_the_socket_loop_threads()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client);

        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "through the loop");
        var threads = ThreadNames(server.ProcessId!.Value);
        output.WriteLine(string.Join(", ", threads.Distinct()));
        Assert.Contains(threads, IsLoopThread);
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task With_the_loop_front_off_kestrel_accepts_and_hands_the_socket_to_a_loop()
    {
        await using var server = new TollgateServer();
        server.ExtraEnvironment["TOLLGATE_LOOP_FRONT"] = "0";
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");

        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "handed over by Kestrel's front");
        Assert.Contains(ThreadNames(server.ProcessId!.Value), IsLoopThread);
        await GatewayClient.CloseAndAssertCodeAsync(ws, 4006, "done");
        // A refusal on that front still answers as the gateway's own handler does.
        var refused = await GatewayClient.TryHandshakeAsync(p.GatewayUrl, "not-a-token");
        Assert.Equal(401, refused.Code);
    }

    [Fact]
    public async Task With_the_loops_turned_off_the_stream_relay_carries_the_tutorial()
    {
        await using var server = new TollgateServer();
        server.ExtraEnvironment["TOLLGATE_RELAY_LOOPS"] = "0";
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client);

        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "through the stream relay");
        await GatewayClient.CloseAndAssertCodeAsync(ws, 4002, "done here");
        Assert.DoesNotContain(ThreadNames(server.ProcessId!.Value), IsLoopThread);
    }

    [Fact]
    public async Task A_plain_client_to_a_wss_backend_is_relayed_over_the_handed_over_socket()
    {
        // The client's socket is handed over after the 101, but the backend is TLS: the stream relay carries it.
        await using var backend = new TlsEchoBackend();
        await using var server = new TollgateServer();
        server.ExtraArgs.Add("--backend-accept-any-certificate");
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: backend.Endpoint);

        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "to a wss:// backend");
        await GatewayClient.AssertBinaryEchoAsync(ws, 200_000);
        await GatewayClient.CloseAndAssertCodeAsync(ws, 4003, "tls backend done");
    }

    [Fact]
    public async Task A_gateway_that_shuts_down_sends_1001_to_a_loop_relayed_client()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client);
        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "before the shutdown");

        var receive = ws.ReceiveAsync(new byte[256], CancellationToken.None);
        var stop = server.StopAsync(); // SIGTERM: a graceful stop
        var result = await receive.WaitAsync(TimeSpan.FromSeconds(15));
        await stop;
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, ws.CloseStatus); // 1001
        Assert.Equal("gateway shutting down", ws.CloseStatusDescription);
        Assert.Contains("stopped (exit code 0)", server.Log);
    }

    /// <summary>The names of the server's threads, as the kernel shows them (at most 15 characters).</summary>
    private static bool IsLoopThread(string name) => name.StartsWith("tg-relay-", StringComparison.Ordinal);

    private static List<string> ThreadNames(int pid) =>
        Directory.EnumerateDirectories($"/proc/{pid}/task")
            .Select(task => { try { return File.ReadAllText(Path.Combine(task, "comm")).Trim(); } catch (IOException) { return ""; } })
            .ToList();
}
