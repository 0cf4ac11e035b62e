using System.Net.WebSockets;
using System.Text;
using Microsoft.Playwright;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>The seed tutorial, word for word, in a real browser: Publisher → Developer Portal → token → echo through the gateway.</summary>
[Collection(PortalCollection.Name)]
public sealed class TutorialTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Tutorial_from_sign_in_to_an_echo_through_the_gateway()
    {
        var context = "/echowebsocket-" + Guid.NewGuid().ToString("N")[..8];
        var page = await NewPageAsync();

        // Step 1: sign in to the Publisher (the protected page sends us to the sign-in form and back).
        await page.GotoAsync("/publisher");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/publisher/signin"));
        await ShotAsync(page, "01-publisher-sign-in");
        await page.Locator("#username").FillAsync("admin");
        await page.Locator("#password").FillAsync(Server.AdminPassword);
        await page.Locator("#signin-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/publisher/apis$"));
        await Expect(page.Locator("#signed-in-user")).ToHaveTextAsync("admin");

        // CREATE API → Design a New WebSocket API.
        await page.Locator("#create-api").ClickAsync();
        await page.Locator("#design-websocket").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Design a New WebSocket API");
        await Expect(page.Locator("#create")).ToBeVisibleAsync();
        await Expect(page.Locator("#create-and-publish")).ToBeHiddenAsync();
        await page.Locator("#name").FillAsync("EchoWebSocket");
        await page.Locator("#context").FillAsync(context);
        await page.Locator("#version").FillAsync("1.0.0");
        await page.Locator("#endpoint").FillAsync(Server.EchoEndpoint);
        await page.Locator("#plans").SelectOptionAsync(new[] { "Gold", "Silver" });
        await Expect(page.Locator("#create-and-publish")).ToBeVisibleAsync();
        await ShotAsync(page, "02-publisher-design-websocket-api");

        // CREATE lands on the Overview page.
        await page.Locator("#create").ClickAsync();
        await Expect(page).ToHaveURLAsync(OverviewUrl);
        await Expect(page.Locator("#overview-name")).ToHaveTextAsync("EchoWebSocket");
        await Expect(page.Locator("#overview-context")).ToHaveTextAsync(context);
        await Expect(page.Locator("#overview-state")).ToHaveTextAsync("Created");
        await Expect(page.Locator("#overview-plans")).ToHaveTextAsync("Gold, Silver");
        await Expect(page.Locator("#gateway-url")).ToHaveTextAsync($"ws://localhost:{Server.GatewayPort}{context}/1.0.0");
        await ShotAsync(page, "03-publisher-overview");

        // Endpoints: verify, and check that the backend answers a WebSocket handshake.
        await page.Locator("#tab-endpoints").ClickAsync();
        await Expect(page.Locator("#production-endpoint")).ToHaveTextAsync(Server.EchoEndpoint);
        await page.Locator("#check-production").ClickAsync();
        await Expect(page.Locator("#check-result")).ToContainTextAsync("answered");
        await ShotAsync(page, "04-publisher-endpoints");

        // Lifecycle → PUBLISH.
        await page.Locator("#tab-lifecycle").ClickAsync();
        await Expect(page.Locator("#lifecycle-diagram .state.current")).ToHaveTextAsync("CREATED");
        await page.Locator("#lifecycle-publish").ClickAsync();
        await Expect(page.Locator("#lifecycle-state")).ToHaveTextAsync("Published");
        await Expect(page.Locator("#lifecycle-diagram .state.current")).ToHaveTextAsync("PUBLISHED");
        await ShotAsync(page, "05-publisher-lifecycle");

        // Step 2: the Developer Portal, browsed anonymously first.
        var dev = await NewPageAsync();
        await dev.GotoAsync("/devportal");
        var card = dev.Locator("#api-cards a", new() { HasText = "EchoWebSocket" });
        await Expect(card).ToBeVisibleAsync();
        await ShotAsync(dev, "06-devportal-apis");
        await SignInAsync(dev, "devportal", "admin", Server.AdminPassword);
        await dev.GotoAsync("/devportal/apis");
        await dev.Locator("#api-cards a", new() { HasText = "EchoWebSocket" }).ClickAsync();
        await Expect(dev.Locator("#gateway-url")).ToHaveTextAsync($"ws://localhost:{Server.GatewayPort}{context}/1.0.0");
        await Expect(dev.Locator("#js-snippet")).ToContainTextAsync("?access_token=");
        await ShotAsync(dev, "07-devportal-api");

        // KEY GENERATION WIZARD: create application → generate keys → subscribe with a plan → generate access token.
        await dev.Locator("#key-generation-wizard").ClickAsync();
        var appName = Unique("TutorialApp-");
        await dev.Locator("#app-name").FillAsync(appName);
        await dev.Locator("#wizard-next").ClickAsync();
        await dev.Locator("#wizard-generate-keys").ClickAsync();
        await Expect(dev.Locator("#consumer-key")).Not.ToBeEmptyAsync();
        await Expect(dev.Locator("#consumer-secret")).Not.ToBeEmptyAsync();
        await ShotAsync(dev, "08-devportal-wizard-keys");
        await dev.Locator("#wizard-next").ClickAsync();
        await dev.Locator("#plan").SelectOptionAsync("Gold");
        await dev.Locator("#wizard-subscribe").ClickAsync();
        await dev.Locator("#wizard-generate-token").ClickAsync();
        await Expect(dev.Locator("#wizard-done")).ToBeVisibleAsync();
        var token = (await dev.Locator("#access-token").TextContentAsync())!.Trim();
        Assert.Equal(3, token.Split('.').Length);
        await Expect(dev.Locator("#wscat-command")).ToHaveTextAsync(
            $"wscat -c ws://localhost:{Server.GatewayPort}{context}/1.0.0 -H \"Authorization: Bearer {token}\"");
        await ShotAsync(dev, "09-devportal-wizard-token");

        // Invoke the API through the gateway with the token read from the page.
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Server.GatewayPort}{context}/1.0.0"), cts.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello tollgate"), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("hello tollgate", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);

        // The application page lists the subscription.
        await dev.GotoAsync("/devportal/applications");
        await dev.Locator("#application-table a", new() { HasText = appName }).ClickAsync();
        await Expect(dev.Locator("#subscription-table")).ToContainTextAsync("EchoWebSocket");
        await ShotAsync(dev, "10-devportal-application");

        // Delete is refused while the API has a subscription, with the reason.
        await page.GotoAsync(page.Url.Split("/lifecycle")[0] + "/delete");
        await page.Locator("#confirm-delete").CheckAsync();
        await page.Locator("#delete-api").ClickAsync();
        await Expect(page.Locator("#problem")).ToContainTextAsync("subscription");
    }
}
