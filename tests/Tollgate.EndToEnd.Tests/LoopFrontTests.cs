using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests;

/// <summary>
/// The plain gateway port served by the socket loops themselves (accept, request head, handler, non-blocking backend
/// connect, 101): what a client meets there, driven over real sockets against the real server.
/// </summary>
public sealed class LoopFrontTests
{
    [Fact]
    public async Task A_backend_at_an_address_literal_is_connected_by_the_loop_and_relayed()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        // 127.0.0.1, not localhost: the loop connects it itself (a host name takes .NET's sockets).
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");

        using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, "connected on the loop");
        await GatewayClient.AssertBinaryEchoAsync(ws, 300_000);
        await GatewayClient.CloseAndAssertCodeAsync(ws, 4005, "bye from the loop");
    }

    [Fact]
    public async Task A_refused_request_keeps_the_connection_for_an_upgrade_whose_first_frame_came_with_it()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");
        var path = new Uri(p.GatewayUrl).AbsolutePath;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.GatewayPort);
        var stream = tcp.GetStream();
        stream.ReadTimeout = (int)GatewayClient.Timeout.TotalMilliseconds;
        // First a request for an API that does not exist: 404, and HTTP/1.1 keeps the connection.
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /no-such-api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        var refusal = ReadResponse(stream, out var body);
        Assert.StartsWith("HTTP/1.1 404", refusal);
        Assert.Contains("No API is deployed at /no-such-api", body);

        // Then the upgrade and the first frame in one write, as a client that does not wait for the 101 may send them.
        var frame = MaskedText("sent with the upgrade");
        var upgrade = Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {p.Token.AccessToken}\r\n\r\n");
        await stream.WriteAsync(upgrade.Concat(frame).ToArray());
        var switching = ReadResponse(stream, out _);
        Assert.StartsWith("HTTP/1.1 101", switching);
        Assert.Contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", switching); // the backend's accept key for this nonce, passed on

        var echo = new byte[2 + 21];
        stream.ReadExactly(echo);
        Assert.Equal(0x81, echo[0]); // FIN + text, unmasked from the server
        Assert.Equal("sent with the upgrade", Encoding.UTF8.GetString(echo, 2, 21));
    }

    [Fact]
    public async Task A_request_sent_in_pieces_or_after_a_silence_is_upgraded()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");
        var path = new Uri(p.GatewayUrl).AbsolutePath;
        var request = Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {p.Token.AccessToken}\r\n\r\n");

        // The listener hands a connection over with its first bytes: here they are half the head, the rest follows.
        // Then a client that says nothing for longer than the kernel defers it (1 s) and sends its head afterwards.
        foreach (var silence in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(1.5) })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, server.GatewayPort);
            var stream = tcp.GetStream();
            stream.ReadTimeout = (int)GatewayClient.Timeout.TotalMilliseconds;
            await Task.Delay(silence);
            await stream.WriteAsync(request.AsMemory(0, 40));
            await Task.Delay(150);
            await stream.WriteAsync(request.AsMemory(40));
            var switching = ReadResponse(stream, out _);
            Assert.StartsWith("HTTP/1.1 101", switching);

            await stream.WriteAsync(MaskedText($"after {silence.TotalSeconds} s"));
            var echo = new byte[2 + $"after {silence.TotalSeconds} s".Length];
            stream.ReadExactly(echo);
            Assert.Equal($"after {silence.TotalSeconds} s", Encoding.UTF8.GetString(echo, 2, echo.Length - 2));
        }
    }

    [Fact]
    public async Task Backends_that_refuse_or_never_answer_get_502_and_504()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts (the kernel does), never answers
        silent.Start();
        var closedPort = FreePorts.Take();
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--backend-connect-timeout", "1"]);
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var refused = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{closedPort}/x");
        var hanging = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/x");

        Assert.Equal(502, (await GatewayClient.TryHandshakeAsync(refused.GatewayUrl, refused.Token.AccessToken)).Code);
        var started = DateTime.UtcNow;
        Assert.Equal(504, (await GatewayClient.TryHandshakeAsync(hanging.GatewayUrl, hanging.Token.AccessToken)).Code);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        // The gateway goes on serving.
        var ok = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");
        await GatewayClient.AssertEchoesAsync(ok.GatewayUrl, ok.Token.AccessToken);
    }

    [Fact]
    public async Task A_backend_named_by_host_is_resolved_for_the_loop_and_a_name_that_does_not_resolve_gets_502()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        // localhost, as the tutorial names its echo: resolved off the loop once, then connected by the loop.
        var named = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://localhost:{server.EchoPort}/echo");
        var unknown = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://no-such-host.invalid:{server.EchoPort}/echo");

        for (var i = 0; i < 3; i++)
        {
            using var ws = await GatewayClient.ConnectAsync(named.GatewayUrl, named.Token.AccessToken);
            await GatewayClient.AssertBinaryEchoAsync(ws, 70_000);
            await GatewayClient.CloseAndAssertCodeAsync(ws, 4007, "named backend");
        }
        var refused = await GatewayClient.TryHandshakeAsync(unknown.GatewayUrl, unknown.Token.AccessToken);
        Assert.Equal(502, refused.Code);
        await GatewayClient.AssertEchoesAsync(named.GatewayUrl, named.Token.AccessToken);
    }

    [Fact]
    public async Task After_a_clean_close_the_backend_hangs_up_first_so_no_gateway_port_is_left_in_TIME_WAIT()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");

        const int connections = 60;
        for (var i = 0; i < connections; i++)
        {
            using var ws = await GatewayClient.ConnectAsync(p.GatewayUrl, p.Token.AccessToken);
            await GatewayClient.AssertEchoAsync(ws, $"connection {i}");
            await GatewayClient.CloseAndAssertCodeAsync(ws, 1000, "done");
        }
        // The backend (the server of that connection, RFC 6455 7.1.1) closed each one first: its port holds the TIME_WAITs.
        // Had the gateway closed first, each would hold one of the gateway's ephemeral ports toward the backend for a minute.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (TimeWaits(localPort: server.EchoPort) < connections && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(0, TimeWaits(remotePort: server.EchoPort));
        Assert.InRange(TimeWaits(localPort: server.EchoPort), connections * 9 / 10, connections + 5); // + the provisioning's own checks
    }

    /// <summary>IPv4 sockets in TIME_WAIT (state 06 in /proc/net/tcp) on the given local or remote port.</summary>
    private static int TimeWaits(int localPort = -1, int remotePort = -1) =>
        File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f[3] == "06"
                && (localPort < 0 || Convert.ToInt32(f[1].Split(':')[1], 16) == localPort)
                && (remotePort < 0 || Convert.ToInt32(f[2].Split(':')[1], 16) == remotePort));

    [Fact]
    public async Task With_backend_dns_ttl_0_a_named_backend_is_resolved_for_each_connection_and_relays()
    {
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--backend-dns-ttl", "0"]);
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var named = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://localhost:{server.EchoPort}/echo");
        for (var i = 0; i < 3; i++)
        {
            using var ws = await GatewayClient.ConnectAsync(named.GatewayUrl, named.Token.AccessToken);
            await GatewayClient.AssertEchoAsync(ws, $"resolved again, connection {i}");
            await GatewayClient.CloseAndAssertCodeAsync(ws, 4008, "ttl 0");
        }
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("3601")]
    [InlineData("ten")]
    public async Task A_bad_backend_dns_ttl_stops_the_server_with_a_clear_error(string value)
    {
        await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
        var data = Path.Combine(Path.GetTempPath(), "tollgate-e2e-ttl-" + Scenario.Unique());
        try
        {
            var result = await ChildProcess.RunAsync("dotnet", [RepoPaths.ServerDll, "--data", data, "--backend-dns-ttl", value],
                timeout: TimeSpan.FromSeconds(60));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"--backend-dns-ttl '{value}' is not valid: use a whole number from 0 to 3600.", result.StdErr);
        }
        finally
        {
            if (Directory.Exists(data))
                Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_loop_threads_relay_under_sched_batch_unless_told_normal()
    {
        // What `chrt -p` shows for each tg-relay thread: SCHED_BATCH (3) by default, SCHED_OTHER (0) when told normal. By
        // default a loop holds SCHED_OTHER for a few milliseconds after it starts a handshake, then goes back.
        await using var server = new TollgateServer();
        await server.StartAsync();
        var policies = LoopThreadPolicies(server.ProcessId!.Value);
        Assert.NotEmpty(policies);
        Assert.All(policies, policy => Assert.Equal(3, policy));
        using (var adaptiveClient = new TollgateClient(server))
        {
            var provisioned = await Scenario.ProvisionAsync(server, adaptiveClient, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");
            await GatewayClient.AssertEchoesAsync(provisioned.GatewayUrl, provisioned.Token.AccessToken);
        }
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (LoopThreadPolicies(server.ProcessId!.Value).Any(policy => policy != 3))
        {
            Assert.True(DateTime.UtcNow < deadline, "a loop thread did not go back to SCHED_BATCH after its handshake");
            await Task.Delay(20);
        }

        await using var normal = new TollgateServer();
        normal.ExtraEnvironment["TOLLGATE_RELAY_SCHED"] = "normal";
        await normal.StartAsync();
        using var client = new TollgateClient(normal);
        var p = await Scenario.ProvisionAsync(normal, client, endpoint: $"ws://127.0.0.1:{normal.EchoPort}/echo");
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);
        policies = LoopThreadPolicies(normal.ProcessId!.Value);
        Assert.NotEmpty(policies);
        Assert.All(policies, policy => Assert.Equal(0, policy));
    }

    /// <summary>The scheduling policy of each loop thread: field 41 of /proc/PID/task/TID/stat.</summary>
    private static List<int> LoopThreadPolicies(int pid)
    {
        var policies = new List<int>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("tg-relay-", StringComparison.Ordinal))
                continue;
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from the third (state) on
            policies.Add(int.Parse(fields[41 - 3]));
        }
        return policies;
    }

    [Fact]
    public async Task Out_of_descriptors_the_gateway_pauses_accepting_says_why_and_recovers()
    {
        await using var server = new TollgateServer();
        await server.StartAsync();
        using var client = new TollgateClient(server);
        var p = await Scenario.ProvisionAsync(server, client, endpoint: $"ws://127.0.0.1:{server.EchoPort}/echo");
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);
        var pid = server.ProcessId!.Value;

        // Room for a few more descriptors only: connections past it wait in the kernel's backlog (EMFILE on accept).
        var open = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var before = OpenFilesLimit(pid);
        SetOpenFilesLimit(pid, new RLimit { Current = (ulong)open + 8, Maximum = before.Maximum });
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 24; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, server.GatewayPort); // completes in the backlog, accepted or not
                idle.Add(tcp);
            }
            var deadline = DateTime.UtcNow + GatewayClient.Timeout;
            while (!server.Log.Contains("cannot accept connections", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Contains("Raise the open-files limit", server.Log);
        }
        finally
        {
            foreach (var tcp in idle)
                tcp.Dispose();
            SetOpenFilesLimit(pid, before);
        }
        // Accepting resumes after the pause: the gateway serves again.
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken);
        Assert.True(server.IsRunning);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int prlimit(int pid, int resource, ref RLimit newLimit, IntPtr oldLimit);

    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    /// <summary>The soft and hard "Max open files" of a process, from /proc/PID/limits.</summary>
    private static RLimit OpenFilesLimit(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new RLimit { Current = ulong.Parse(parts[0]), Maximum = ulong.Parse(parts[1]) };
    }

    private static void SetOpenFilesLimit(int pid, RLimit value)
    {
        const int RLIMIT_NOFILE = 7;
        if (prlimit(pid, RLIMIT_NOFILE, ref value, IntPtr.Zero) != 0)
            throw new InvalidOperationException($"prlimit failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    private static byte[] MaskedText(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        return frame;
    }

    /// <summary>Reads one response head (and its Content-Length body) byte by byte, so nothing after it is consumed.</summary>
    private static string ReadResponse(NetworkStream stream, out string body)
    {
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var b = stream.ReadByte();
            Assert.NotEqual(-1, b);
            head.Append((char)b);
        }
        var text = head.ToString();
        var length = 0;
        foreach (var line in text.Split("\r\n"))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                length = int.Parse(line["Content-Length:".Length..].Trim());
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        body = Encoding.UTF8.GetString(bytes);
        return text;
    }
}
