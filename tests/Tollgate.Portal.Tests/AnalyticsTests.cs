using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>After real traffic through the gateway, the Publisher's Analytics tab, overview and the Developer Portal's application page show its numbers.</summary>
[Collection(PortalCollection.Name)]
public sealed class AnalyticsTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Publisher_analytics_page_charts_the_traffic()
    {
        var admin = await Fixture.PasswordTokenAsync("admin", Server.AdminPassword) ?? throw new InvalidOperationException("admin token");
        using var http = PortalFixture.Http(Server.BaseUrl);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var api = await PostAsync(http, "/api/publisher/apis", new
        {
            name = $"Charted{tag}", context = $"/charted{tag}", version = "1.0.0",
            endpoint = new { production = Server.EchoEndpoint }, plans = new[] { "Gold" }, publish = true,
        });
        var apiId = api.GetProperty("id").GetString()!;
        var app = await PostAsync(http, "/api/devportal/applications", new { name = $"ChartApp{tag}" });
        var appId = app.GetProperty("id").GetString()!;
        await PostAsync(http, $"/api/devportal/applications/{appId}/keys", new { keyType = "production" });
        await PostAsync(http, "/api/devportal/subscriptions", new { apiId, applicationId = appId, plan = "Gold" });
        var token = (await PostAsync(http, $"/api/devportal/applications/{appId}/keys/production/token", new { })).GetProperty("access_token").GetString()!;

        // Seven messages each way through the gateway (retrying the connect until the change reached the gateway).
        var url = new Uri($"ws://127.0.0.1:{Server.GatewayPort}/charted{tag}/1.0.0");
        using var socket = await ConnectAsync(url, token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[1024];
        for (var i = 0; i < 7; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($"message {i}"), WebSocketMessageType.Text, true, cts.Token);
            await socket.ReceiveAsync(buffer, cts.Token);
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);

        var page = await NewPageAsync();
        await SignInAsync(page, "publisher", "admin", Server.AdminPassword);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await page.GotoAsync($"/publisher/apis/{apiId}/analytics?range=hour");
            if ((await page.Locator("#total-messages-in").TextContentAsync())?.Trim() == "7")
                break;
            await Task.Delay(300);
        }
        await Expect(page.Locator("#tab-analytics")).ToHaveClassAsync("on");
        await Expect(page.Locator("#total-messages-in")).ToHaveTextAsync("7");
        await Expect(page.Locator("#total-messages-out")).ToHaveTextAsync("7");
        await Expect(page.Locator("#chart-messages polyline[data-series=in]")).ToHaveAttributeAsync("data-total", "7");
        await Expect(page.Locator("#chart-messages polyline[data-series=out]")).ToHaveAttributeAsync("data-total", "7");
        await Expect(page.Locator("#chart-messages [data-legend=in]")).ToHaveTextAsync("7");
        await Expect(page.Locator("#chart-connections")).ToContainTextAsync("time (UTC)");
        await Expect(page.Locator("#close-codes")).ToContainTextAsync("1000");
        await Expect(page.Locator("#breakdown")).ToContainTextAsync($"ChartApp{tag}");
        await ShotAsync(page, "20-publisher-analytics");

        // The range picker and the overview of all APIs.
        await page.Locator("#range-day").ClickAsync();
        await Expect(page.Locator("#analytics")).ToHaveAttributeAsync("data-range", "day");
        await Expect(page.Locator("#total-messages-in")).ToHaveTextAsync("7");
        await page.Locator("#nav-analytics").ClickAsync();
        await Expect(page.Locator("#breakdown")).ToContainTextAsync($"Charted{tag}");
        await ShotAsync(page, "21-publisher-analytics-overview");

        // The Developer Portal shows the same traffic on the application's page (its own subscriptions only).
        await page.GotoAsync($"/devportal/applications/{appId}");
        await Expect(page.Locator("#analytics #total-messages-in")).ToHaveTextAsync("7");
        await Expect(page.Locator("#analytics #breakdown")).ToContainTextAsync($"Charted{tag}");
        await ShotAsync(page, "22-devportal-application-analytics");
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var answer = await http.PostAsJsonAsync(path, body);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"POST {path}: {(int)answer.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri url, string token)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(url, cts.Token);
                return socket;
            }
            catch (WebSocketException) when (attempt < 30)
            {
                socket.Dispose();
                await Task.Delay(100);
            }
        }
    }
}
