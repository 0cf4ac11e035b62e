using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Tollgate.Portal.Tests.Infrastructure;

/// <summary>One server, one Debian chromium and a few users shared by the browser tests.</summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string Password = "Passw0rd-portal";
    public TollgateServer Server { get; } = new();
    public IBrowser Browser { get; private set; } = null!;
    private IPlaywright? _playwright;

    /// <summary>Creator only (no publisher role), publisher only, subscriber only.</summary>
    public string Creator => "carol";
    public string PublisherOnly => "pat";
    public string Subscriber => "sam";

    public async Task InitializeAsync()
    {
        Server.ExtraArgs.AddRange(["--analytics-flush-ms", "300"]); // analytics pages show traffic within a second
        await Server.StartAsync();
        await CreateUserAsync(Creator, "creator");
        await CreateUserAsync(PublisherOnly, "publisher");
        await CreateUserAsync(Subscriber, "subscriber");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", // Debian's chromium: never a downloaded browser
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        Directory.CreateDirectory(RepoPaths.Screenshots);
    }

    public async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true, // self-signed certificate of the data folder
            BaseURL = Server.BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        Assertions.SetDefaultExpectTimeout(15_000);
        // Generous: CI machines are shared, and a browser, the server and the tests share two cores.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(45_000);
        return context;
    }

    public static HttpClient Http(string baseUrl) =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A user token from the password grant, or null when refused.</summary>
    public async Task<string?> PasswordTokenAsync(string user, string password)
    {
        using var http = Http(Server.BaseUrl);
        var answer = await http.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user, ["password"] = password,
        }));
        if (!answer.IsSuccessStatusCode) return null;
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString();
    }

    private async Task CreateUserAsync(string name, string role)
    {
        var token = await PasswordTokenAsync("admin", Server.AdminPassword) ?? throw new InvalidOperationException("admin cannot sign in");
        using var http = Http(Server.BaseUrl);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var answer = await http.PostAsJsonAsync("/api/admin/users", new { username = name, password = Password, roles = new[] { role } });
        if (!answer.IsSuccessStatusCode)
            throw new InvalidOperationException($"creating {name}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "Portal";
}
