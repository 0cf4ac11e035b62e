using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;

namespace Tollgate.EndToEnd.Tests.Cluster;

/// <summary>Starts control-plane-role and gateway-role processes (real processes, SQLite) and talks to them.</summary>
internal static class ClusterNodes
{
    public static string NewSecret() => "node-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    public static TollgateServer ControlPlane(string secret, string? store = null)
    {
        var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--role", "control-plane", "--node-secret", secret]);
        if (store is not null)
            server.ExtraArgs.AddRange(["--store", store]);
        return server;
    }

    /// <param name="secretInEnvironment">Pass the secret as TOLLGATE_NODE_SECRET (as deploy/cluster.sh does) rather than --node-secret.</param>
    public static TollgateServer Gateway(TollgateServer controlPlane, string secret, string name, bool secretInEnvironment = false)
    {
        var server = new TollgateServer();
        if (secretInEnvironment)
            server.ExtraEnvironment["TOLLGATE_NODE_SECRET"] = secret;
        else
            server.ExtraArgs.AddRange(["--node-secret", secret]);
        server.ExtraArgs.AddRange([
            "--role", "gateway",
            "--control-plane", $"https://127.0.0.1:{controlPlane.HttpsPort}",
            // The control plane's generated certificate is self-signed. A bare flag followed by another option (as
            // deploy/cluster.sh writes it) must not swallow that option.
            "--control-plane-accept-any-certificate",
            "--node-name", name,
            "--analytics-flush-ms", "200",
        ]);
        return server;
    }

    /// <summary>What a server process itself wrote (the harness's own lines, which echo the command line, left out).</summary>
    public static string ProcessOutput(TollgateServer server) =>
        string.Join('\n', server.Log.Split('\n').Where(l => !l.Contains(" harness] ", StringComparison.Ordinal)));

    public static async Task<JsonElement> GatewaysAsync(TollgateClient client, string adminToken)
    {
        using var response = await client.SendAsync(HttpMethod.Get, "api/admin/gateways", adminToken);
        return await TollgateClient.ExpectJsonAsync(response, HttpStatusCode.OK, "GET /api/admin/gateways");
    }

    /// <summary>Polls the node list until <paramref name="done"/> holds (heartbeats come every 2 s); returns the last list.</summary>
    public static async Task<JsonElement> PollGatewaysAsync(TollgateClient client, string adminToken, Func<JsonElement, bool> done, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var list = await GatewaysAsync(client, adminToken);
            if (done(list) || sw.Elapsed > within)
                return list;
            await Task.Delay(250);
        }
    }

    public static JsonElement? Node(JsonElement list, string name) =>
        list.GetProperty("items").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(n => n!.Value.GetProperty("name").GetString() == name);

    /// <summary>Waits until the server closes the socket (or drops it); returns the close status and the time it took.</summary>
    public static async Task<(WebSocketCloseStatus? Status, string? Reason, TimeSpan Elapsed)> WaitClosedAsync(ClientWebSocket ws, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, cts.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                    return (r.CloseStatus, r.CloseStatusDescription, sw.Elapsed);
            }
        }
        catch (OperationCanceledException)
        {
            return (null, "still open", sw.Elapsed);
        }
        catch (WebSocketException e)
        {
            return (WebSocketCloseStatus.Empty, e.Message, sw.Elapsed);
        }
    }

    /// <summary>Connects through a gateway to the inspect backend and skips its first message (the handshake report).</summary>
    public static async Task<ClientWebSocket> ConnectAsync(string url, string token)
    {
        var ws = await GatewayClient.ConnectAsync(url, token);
        await GatewayClient.ReceiveMessageAsync(ws);
        return ws;
    }

    public static AuthenticationHeaderValue Node(string secret) => new("Node", secret);
}
