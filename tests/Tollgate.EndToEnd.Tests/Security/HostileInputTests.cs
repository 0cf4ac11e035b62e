using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Security;

/// <summary>
/// Broken and hostile frames from raw sockets through the real gateway: each is closed with the right
/// RFC 6455 code, nothing is allocated for a claimed length, and the gateway keeps serving others.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class HostileInputTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    public static TheoryData<string, byte[], int> Cases => new()
    {
        { "unmasked client frame", [0x81, 0x02, (byte)'h', (byte)'i'], 1002 },
        { "reserved opcode 3", Masked(0x83, "hi"u8.ToArray()), 1002 },
        { "reserved bits RSV2", Masked(0xA1, "hi"u8.ToArray()), 1002 },
        { "control frame over 125 bytes", Masked(0x89, new byte[126]), 1002 },
        { "fragmented ping", Masked(0x09, "x"u8.ToArray()), 1002 },
        { "continuation without a message", Masked(0x80, "x"u8.ToArray()), 1002 },
        { "2^63 length", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 1002 },
        { "2 GiB claimed length", [0x82, 0xFF, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 2, 3, 4], 1009 },
        { "invalid UTF-8 text", Masked(0x81, [0x61, 0xC3, 0x28]), 1007 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_frames_are_closed_with_the_right_code(string what, byte[] frame, int expectedCode)
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Server.GatewayPort);
        var stream = tcp.GetStream();
        stream.ReadTimeout = 10_000;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {p.Api.Context}/{p.Api.Version} HTTP/1.1\r\nHost: 127.0.0.1:{Server.GatewayPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {p.Token.AccessToken}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 101", head);

        await stream.WriteAsync(frame);
        var (code, reason) = await ReadCloseAsync(stream);
        Assert.True(code == expectedCode, $"{what}: expected close {expectedCode}, got {code} ({reason})");

        // The gateway keeps serving everyone else.
        await GatewayClient.AssertEchoesAsync(p.GatewayUrl, p.Token.AccessToken, $"still serving after {what}");
    }

    [Fact]
    public async Task An_apis_own_message_size_limit_closes_with_1009()
    {
        var api = await SecuredApi.CreateAsync(Server, _client, new { oauth2 = true, maxMessageBytes = 1000 });
        using var ws = await GatewayClient.ConnectAsync(api.GatewayUrl, api.AccessToken);
        await GatewayClient.AssertEchoAsync(ws, new string('s', 1000));
        await ws.SendAsync(new byte[1001], System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((await ws.ReceiveAsync(buffer, cts.Token)).MessageType != System.Net.WebSockets.WebSocketMessageType.Close) { }
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, ws.CloseStatus);
    }

    [Fact]
    public async Task Oversized_handshake_headers_are_refused_with_431()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Server.GatewayPort);
        var stream = tcp.GetStream();
        var request = $"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Big: {new string('a', 64 * 1024)}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        Assert.StartsWith("HTTP/1.1 431", await ReadHeadAsync(stream));
    }

    private static byte[] Masked(byte first, byte[] payload)
    {
        var mask = new byte[] { 0x11, 0x22, 0x33, 0x44 };
        byte[] lengthBytes = payload.Length < 126 ? [(byte)(0x80 | payload.Length)] : [0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length];
        return [first, .. lengthBytes, .. mask, .. payload.Select((b, i) => (byte)(b ^ mask[i % 4]))];
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cts.Token) == 0) break;
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }

    /// <summary>Reads server frames until a close frame; returns its code and reason.</summary>
    private static async Task<(int Code, string Reason)> ReadCloseAsync(NetworkStream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var h = await ReadExactAsync(stream, 2, cts.Token);
            int opcode = h[0] & 0x0F;
            long length = h[1] & 0x7F;
            if (length == 126) length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactAsync(stream, 2, cts.Token));
            else if (length == 127) length = BinaryPrimitives.ReadInt64BigEndian(await ReadExactAsync(stream, 8, cts.Token));
            var payload = await ReadExactAsync(stream, (int)length, cts.Token);
            if (opcode == 0x8)
                return payload.Length >= 2
                    ? (BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload, 2, payload.Length - 2))
                    : (1005, "");
        }
    }

    private static async Task<byte[]> ReadExactAsync(NetworkStream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }
}
