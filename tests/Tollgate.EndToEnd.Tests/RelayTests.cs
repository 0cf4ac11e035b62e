using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>The relay passes the rest of the path, the query (minus credentials), Origin, subprotocols and close codes.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class RelayTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Subprotocol_AndCloseCode_PassThroughToTheEchoBackend()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var ws = GatewayClient.NewSocket(p.Token.AccessToken);
        ws.Options.AddSubProtocol("chat.v1");
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.ConnectAsync(new Uri(p.GatewayUrl), cts.Token);
        Assert.Equal("chat.v1", ws.SubProtocol);
        await GatewayClient.AssertEchoAsync(ws, "with a subprotocol");

        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.CloseAsync((WebSocketCloseStatus)4001, "custom reason", cts.Token);
        Assert.Equal((WebSocketCloseStatus)4001, ws.CloseStatus);
        Assert.Equal("custom reason", ws.CloseStatusDescription);
    }

    [Fact]
    public async Task RestOfPath_Query_Origin_Subprotocol_ReachTheBackend_CredentialsDoNot()
    {
        await using var backend = new InspectBackend();
        var p = await Scenario.ProvisionAsync(Server, _client, endpoint: backend.Endpoint);

        // Bearer header, rest of path, query, Origin, two offered subprotocols.
        using (var ws = GatewayClient.NewSocket(p.Token.AccessToken))
        {
            ws.Options.SetRequestHeader("Origin", "http://localhost:3000");
            ws.Options.AddSubProtocol("graphql-ws");
            ws.Options.AddSubProtocol("chat.v2");
            using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
                await ws.ConnectAsync(new Uri($"{p.GatewayUrl}/rooms/42?symbol=ABC&depth=5"), cts.Token);
            Assert.Equal("graphql-ws", ws.SubProtocol);

            var report = await ReadReportAsync(ws);
            Assert.Equal("/inspect/rooms/42", report.GetProperty("path").GetString());
            var query = report.GetProperty("query").GetString()!;
            Assert.Contains("symbol=ABC", query);
            Assert.Contains("depth=5", query);
            Assert.Equal("http://localhost:3000", report.GetProperty("origin").GetString());
            Assert.Equal(["graphql-ws", "chat.v2"], report.GetProperty("offeredProtocols").EnumerateArray().Select(e => e.GetString()!).ToArray());
            Assert.Equal(JsonValueKind.Null, report.GetProperty("authorization").ValueKind);

            await GatewayClient.AssertEchoAsync(ws, "relayed");
            await GatewayClient.CloseQuietlyAsync(ws);
        }

        // Query token on the default version: the access_token is taken out of the query.
        using (var ws = GatewayClient.NewSocket(null))
        {
            using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
                await ws.ConnectAsync(new Uri($"{p.DefaultVersionUrl}/feed?x=1&access_token={Uri.EscapeDataString(p.Token.AccessToken)}&y=2"), cts.Token);
            var report = await ReadReportAsync(ws);
            Assert.Equal("/inspect/feed", report.GetProperty("path").GetString());
            var query = report.GetProperty("query").GetString()!;
            Assert.Contains("x=1", query);
            Assert.Contains("y=2", query);
            Assert.DoesNotContain("access_token", query);
            Assert.DoesNotContain(p.Token.AccessToken, query);
            await GatewayClient.CloseQuietlyAsync(ws);
        }
    }

    [Fact]
    public async Task SecureGateway_Wss_Echoes()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var url = $"wss://127.0.0.1:{Server.GatewayTlsPort}{p.Api.Context}/{p.Api.Version}";
        using var ws = GatewayClient.NewSocket(p.Token.AccessToken);
        // The gateway's certificate is self-signed (made in the data folder): accept it on loopback only.
        ws.Options.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || new Uri(url).IsLoopback;
        using (var cts = new CancellationTokenSource(GatewayClient.Timeout))
            await ws.ConnectAsync(new Uri(url), cts.Token);
        await GatewayClient.AssertEchoAsync(ws, "hello over wss");
        await GatewayClient.CloseQuietlyAsync(ws);
    }

    private async Task<JsonElement> ReadReportAsync(ClientWebSocket ws)
    {
        var (type, data) = await GatewayClient.ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, type);
        var text = Encoding.UTF8.GetString(data);
        Note($"backend saw: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
