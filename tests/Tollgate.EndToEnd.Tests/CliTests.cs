using System.Text.Json;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>`tollgate demo --json` sets up the tutorial against a running server; its token and URL work.</summary>
public sealed class CliTests(DedicatedServerFixture fx, ITestOutputHelper output)
    : E2eTestBase(fx.Server, output), IClassFixture<DedicatedServerFixture>
{
    [Fact]
    public async Task Demo_Json_GivesAGatewayUrlAndTokenThatEcho()
    {
        await RepoPaths.EnsureBuiltAsync(RepoPaths.CliDll, RepoPaths.CliProject);
        var home = Path.Combine(Path.GetTempPath(), "tollgate-e2e-home-" + Scenario.Unique());
        Directory.CreateDirectory(home);
        try
        {
            var result = await RunDemoAsync(home);
            Note(result.Output);
            Assert.True(result.ExitCode == 0, $"tollgate demo --json failed:\n{result.Output}");

            JsonElement demo;
            try
            {
                demo = JsonDocument.Parse(result.StdOut.Trim()).RootElement;
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"`tollgate demo --json` must print one JSON object ({e.Message}):\n{result.Output}");
            }
            foreach (var field in new[] { "gatewayUrl", "token", "apiId", "applicationId", "consumerKey", "wscat" })
                Assert.True(demo.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0,
                    $"the demo JSON must have '{field}': {demo}");

            var gatewayUrl = demo.GetProperty("gatewayUrl").GetString()!;
            var token = demo.GetProperty("token").GetString()!;
            var uri = new Uri(gatewayUrl);
            Assert.Equal(Server.GatewayPort, uri.Port);
            Assert.Equal("/echowebsocket/1.0.0", uri.AbsolutePath);
            var url = new UriBuilder(uri) { Host = "127.0.0.1" }.Uri.ToString();

            // The demo API must use this server's sample echo backend (--echo-port), not a fixed port.
            using (var client = new TollgateClient(Server))
            {
                var admin = (await client.GetAdminTokenAsync()).AccessToken;
                var api = await client.GetApiAsync(admin, demo.GetProperty("apiId").GetString()!);
                Assert.Equal("Published", api.State);
                var backend = new Uri(api.Endpoint!.Production!);
                Assert.True(backend.IsLoopback && backend.Port == Server.EchoPort && backend.AbsolutePath == "/echo",
                    $"the demo API's endpoint must be the server's sample echo backend ws://localhost:{Server.EchoPort}/echo " +
                    $"(server started with --echo-port {Server.EchoPort}), got {api.Endpoint.Production}");
            }

            await GatewayClient.WaitUntilAcceptedAsync(url, token);
            await GatewayClient.AssertEchoesAsync(url, token, "hello from tollgate demo");
            Assert.Contains("wscat -c", demo.GetProperty("wscat").GetString());

            // Running the demo again reuses what exists and still gives a working token.
            var again = await RunDemoAsync(home);
            Note(again.Output);
            Assert.True(again.ExitCode == 0, $"a second `tollgate demo --json` failed:\n{again.Output}");
            var demo2 = JsonDocument.Parse(again.StdOut.Trim()).RootElement;
            Assert.Equal(demo.GetProperty("apiId").GetString(), demo2.GetProperty("apiId").GetString());
            Assert.Equal(demo.GetProperty("applicationId").GetString(), demo2.GetProperty("applicationId").GetString());
            await GatewayClient.WaitUntilAcceptedAsync(url, demo2.GetProperty("token").GetString());
            await GatewayClient.AssertEchoesAsync(url, demo2.GetProperty("token").GetString(), "hello again");
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Runs `tollgate demo --json` as a user would, with its own home folder and the admin password in the environment.</summary>
    private Task<ProcessResult> RunDemoAsync(string home) =>
        ChildProcess.RunAsync("dotnet",
            [RepoPaths.CliDll, "--server", $"https://localhost:{Server.HttpsPort}", "demo", "--json"],
            workingDirectory: home,
            environment: new Dictionary<string, string?>
            {
                ["TOLLGATE_ADMIN_PASSWORD"] = Server.AdminPassword,
                ["TOLLGATE_HOME"] = home,
                ["TOLLGATE_SERVER"] = null,
                ["DOTNET_NOLOGO"] = "1",
            },
            timeout: TimeSpan.FromSeconds(90));
}
