using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>Real npm clients: wscat (as in the tutorial) and a small `ws` script.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class NodeClientTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task Wscat_WithBearerHeader_SeesTheEcho()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var message = $"hello wscat {Scenario.Unique()}";
        var result = await NodeClients.WscatAsync(p.GatewayUrl, p.Token.AccessToken, message);
        Note(result.Output);
        Assert.True(result.ExitCode == 0, $"wscat failed:\n{result.Output}");
        Assert.Contains(message, result.StdOut.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task Wscat_WithoutToken_IsRefusedWith401()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var result = await NodeClients.WscatAsync(p.GatewayUrl, null, "nobody home");
        Note(result.Output);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Unexpected server response: 401", result.StdErr);
    }

    [Fact]
    public async Task NodeWsClient_WithBearerHeader_SeesTheEcho()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var message = $"hello ws {Scenario.Unique()}";
        var result = await NodeClients.EchoClientAsync(p.GatewayUrl, p.Token.AccessToken, message);
        Note(result.Output);
        Assert.True(result.ExitCode == 0, $"echo-client.js failed:\n{result.Output}");
        Assert.Contains($"ECHO {message}", result.StdOut);
    }

    [Fact]
    public async Task NodeWsClient_DefaultVersionWithQueryToken_SeesTheEcho()
    {
        var p = await Scenario.ProvisionAsync(Server, _client);
        var message = $"hello ws default {Scenario.Unique()}";
        var url = $"{p.DefaultVersionUrl}?access_token={Uri.EscapeDataString(p.Token.AccessToken)}";
        var result = await NodeClients.EchoClientAsync(url, null, message);
        Note(result.Output);
        Assert.True(result.ExitCode == 0, $"echo-client.js failed:\n{result.Output}");
        Assert.Contains($"ECHO {message}", result.StdOut);
    }
}
