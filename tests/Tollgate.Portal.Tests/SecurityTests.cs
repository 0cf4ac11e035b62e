using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>The security web UI: the Publisher's Security tab, API keys in the Developer Portal, the Admin's live connections.</summary>
[Collection(PortalCollection.Name)]
public sealed class SecurityTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Creator_saves_origins_and_API_keys_on_the_Security_tab_and_others_are_refused()
    {
        var (apiId, _) = await CreateApiAsync(publish: false, security: null);
        var page = await NewPageAsync();
        await SignInAsync(page, "publisher", Fixture.Creator, PortalFixture.Password);
        await page.GotoAsync($"/publisher/apis/{apiId}");
        await page.Locator("#tab-security").ClickAsync();
        await Expect(page.Locator("#security-oauth2")).ToBeCheckedAsync();
        await Expect(page.Locator("#security-apikeys")).Not.ToBeCheckedAsync();

        await page.Locator("#security-apikeys").CheckAsync();
        await page.Locator("#security-origins").FillAsync("https://app.example.com\nhttp://localhost:3000");
        await page.Locator("#save-security").ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync("Security settings saved.");
        await page.GotoAsync($"/publisher/apis/{apiId}/security");
        await Expect(page.Locator("#security-apikeys")).ToBeCheckedAsync();
        await Expect(page.Locator("#security-origins")).ToHaveValueAsync("https://app.example.com\nhttp://localhost:3000");
        await ShotAsync(page, "16-publisher-security");

        // A path is not an origin: the error is next to the field, what was typed stays, nothing is saved.
        await page.Locator("#security-origins").FillAsync("https://app.example.com/chat");
        await page.Locator("#save-security").ClickAsync();
        await Expect(page.Locator("#error-security-allowedOrigins")).ToContainTextAsync("is not an origin");
        await Expect(page.Locator("#security-origins")).ToHaveValueAsync("https://app.example.com/chat");
        await page.GotoAsync($"/publisher/apis/{apiId}/security");
        await Expect(page.Locator("#security-origins")).ToHaveValueAsync("https://app.example.com\nhttp://localhost:3000");

        // A publisher without the creator role sees it read-only, and posting the form anyway is refused.
        var publisher = await NewPageAsync();
        await SignInAsync(publisher, "publisher", Fixture.PublisherOnly, PortalFixture.Password);
        await publisher.GotoAsync($"/publisher/apis/{apiId}/security");
        await Expect(publisher.Locator("#security-read-only")).ToBeVisibleAsync();
        await Expect(publisher.Locator("#save-security")).ToHaveCountAsync(0);
        await Expect(publisher.Locator("#security-origins")).ToBeDisabledAsync();
        var token = await publisher.Locator("#security-form input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var form = publisher.APIRequest.CreateFormData();
        foreach (var (name, value) in new[] { ("_handler", "api-security"), ("__RequestVerificationToken", token!), ("oauth2", "true"), ("allowedOrigins", "") })
            form.Append(name, value);
        var post = await publisher.APIRequest.PostAsync($"/publisher/apis/{apiId}/security", new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(403, post.Status);
        Assert.Contains("creator role", await post.TextAsync());
        await page.GotoAsync($"/publisher/apis/{apiId}/security");
        await Expect(page.Locator("#security-origins")).ToHaveValueAsync("https://app.example.com\nhttp://localhost:3000");
    }

    [Fact]
    public async Task An_API_key_made_in_the_Developer_Portal_connects_and_stops_working_once_revoked()
    {
        var (apiId, context) = await CreateApiAsync(publish: true, security: new { oAuth2 = true, apiKeys = true });
        var appId = await SubscribedApplicationAsync(Fixture.Subscriber, PortalFixture.Password, apiId);
        var page = await NewPageAsync();
        await SignInAsync(page, "devportal", Fixture.Subscriber, PortalFixture.Password);

        // The API page tells how to connect with a key, a ticket and the subprotocol.
        await page.GotoAsync($"/devportal/apis/{apiId}");
        await Expect(page.Locator("#wscat-apikey-query")).ToHaveTextAsync($"wscat -c \"ws://localhost:{Server.GatewayPort}{context}/1.0.0?apikey=<key>\"");
        await Expect(page.Locator("#ticket-snippet")).ToContainTextAsync($"{Server.BaseUrl}/oauth2/ticket");
        await Expect(page.Locator("#subprotocol-snippet")).ToContainTextAsync("tollgate.bearer.");
        await ShotAsync(page, "17-devportal-api-connect");

        await page.GotoAsync($"/devportal/applications/{appId}");
        await Expect(page.Locator("#no-api-keys")).ToBeVisibleAsync();
        await page.Locator("#api-key-name").FillAsync("kiosk");
        await page.Locator("#create-api-key").ClickAsync();
        await Expect(page.Locator("#api-key-warning")).ToContainTextAsync("will not be shown again");
        var key = (await page.Locator("#api-key").TextContentAsync())!.Trim();
        Assert.StartsWith("tgk_", key);
        await Expect(page.Locator("#api-key-table")).ToContainTextAsync("kiosk");
        await Expect(page.Locator("#api-key-table")).ToContainTextAsync(key[..10]);
        await ShotAsync(page, "18-devportal-api-keys");

        var url = $"ws://127.0.0.1:{Server.GatewayPort}{context}/1.0.0";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"{url}?apikey={Uri.EscapeDataString(key)}"), cts.Token);
        Assert.Equal("hello key", await EchoAsync(socket, "hello key", cts.Token));

        // Shown once: coming back to the page does not show it again.
        await page.GotoAsync($"/devportal/applications/{appId}");
        await Expect(page.Locator("#api-key")).ToHaveCountAsync(0);
        await page.Locator("#api-key-table button", new() { HasText = "Revoke" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToContainTextAsync("API key revoked");
        await Expect(page.Locator("#no-api-keys")).ToBeVisibleAsync();

        // The live connection closes with 1008 and a new one is refused with 401.
        var closed = await socket.ReceiveAsync(new byte[256], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        Assert.Equal((WebSocketCloseStatus)1008, socket.CloseStatus);
        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(new Uri($"{url}?apikey={Uri.EscapeDataString(key)}"), cts.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.HttpStatusCode);
    }

    [Fact]
    public async Task Admin_sees_a_live_connection_and_closes_it_with_1008()
    {
        var (apiId, context) = await CreateApiAsync(publish: true, security: null);
        var appId = await SubscribedApplicationAsync("admin", Server.AdminPassword, apiId);
        var token = await ApplicationTokenAsync(appId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Server.GatewayPort}{context}/1.0.0"), cts.Token);
        Assert.Equal("ping", await EchoAsync(socket, "ping", cts.Token));

        var admin = await NewPageAsync();
        await SignInAsync(admin, "admin", "admin", Server.AdminPassword);
        await admin.Locator("#nav-connections").ClickAsync();
        var row = admin.Locator("#connection-table tr", new() { HasText = context });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("production");
        await row.Locator("a").ClickAsync(); // filter by its application
        await Expect(admin.Locator("#close-application")).ToBeVisibleAsync();
        await ShotAsync(admin, "19-admin-connections");

        await admin.Locator("#connection-table tr", new() { HasText = context }).Locator("input[name=reason]").FillAsync("maintenance");
        await admin.Locator("#connection-table tr", new() { HasText = context }).Locator("button", new() { HasText = "Close" }).ClickAsync();
        await Expect(admin.Locator("#notice")).ToContainTextAsync("closed with 1008 (maintenance)");
        var closed = await socket.ReceiveAsync(new byte[256], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        Assert.Equal((WebSocketCloseStatus)1008, socket.CloseStatus);
        Assert.Equal("maintenance", socket.CloseStatusDescription);

        // Only admins: a subscriber is refused on the server.
        var subscriber = await NewPageAsync();
        await SignInAsync(subscriber, "devportal", Fixture.Subscriber, PortalFixture.Password);
        Assert.Equal(403, (await subscriber.GotoAsync("/admin/connections"))!.Status);
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text, CancellationToken ct)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, ct);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    // Setting the scene through the REST API keeps these tests about the new pages.
    private async Task<HttpClient> ClientAsync(string user, string password)
    {
        var token = await Fixture.PasswordTokenAsync(user, password) ?? throw new InvalidOperationException($"{user} cannot sign in");
        var http = PortalFixture.Http(Server.BaseUrl);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        var answer = await http.PostAsJsonAsync(path, body);
        var text = await answer.Content.ReadAsStringAsync();
        if (!answer.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path}: {(int)answer.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(Guid Id, string Context)> CreateApiAsync(bool publish, object? security)
    {
        using var http = await ClientAsync("admin", Server.AdminPassword);
        var context = "/secure-" + Guid.NewGuid().ToString("N")[..8];
        var api = await PostAsync(http, "/api/publisher/apis", new
        {
            name = Unique("SecureApi"), context, version = "1.0.0", endpoint = new { production = Server.EchoEndpoint },
            plans = new[] { "Gold" }, publish, security,
        });
        return (api.GetProperty("id").GetGuid(), context);
    }

    private async Task<Guid> SubscribedApplicationAsync(string user, string password, Guid apiId)
    {
        using var http = await ClientAsync(user, password);
        var app = await PostAsync(http, "/api/devportal/applications", new { name = Unique("SecureApp") });
        var appId = app.GetProperty("id").GetGuid();
        await PostAsync(http, "/api/devportal/subscriptions", new { apiId, applicationId = appId, plan = "Gold" });
        return appId;
    }

    private async Task<string> ApplicationTokenAsync(Guid appId)
    {
        using var http = await ClientAsync("admin", Server.AdminPassword);
        await PostAsync(http, $"/api/devportal/applications/{appId}/keys", new { keyType = "production" });
        var token = await PostAsync(http, $"/api/devportal/applications/{appId}/keys/production/token", new { });
        return token.GetProperty("access_token").GetString()!;
    }
}
