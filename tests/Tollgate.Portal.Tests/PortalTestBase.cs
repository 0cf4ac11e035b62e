using Microsoft.Playwright;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Portal.Tests;

public abstract class PortalTestBase(PortalFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    protected PortalFixture Fixture { get; } = fixture;
    protected TollgateServer Server => Fixture.Server;
    private readonly List<IBrowserContext> _contexts = [];
    private int _logStart;

    protected static readonly System.Text.RegularExpressions.Regex OverviewUrl =
        new(@"/publisher/apis/[0-9a-f\-]{36}(\?.*)?$");

    public Task InitializeAsync()
    {
        _logStart = Server.Log.Length;
        return Task.CompletedTask;
    }

    protected async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Fixture.NewContextAsync(width, height);
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    protected async Task SignInAsync(IPage page, string portal, string user, string password)
    {
        // Once in a CI run (a loaded machine) a sign-in stayed on the sign-in page; say what the page said, and try
        // once more as a user would, so a second refusal fails with the page's own words.
        for (var attempt = 1; ; attempt++)
        {
            await page.GotoAsync($"/{portal}/signin");
            await page.Locator("#username").FillAsync(user);
            await page.Locator("#password").FillAsync(password);
            await page.Locator("#signin-submit").ClickAsync();
            try
            {
                await page.WaitForURLAsync(u => !u.Contains("/signin"), new PageWaitForURLOptions { Timeout = 20_000 });
                return;
            }
            catch (TimeoutException)
            {
                var error = await page.Locator("#signin-error").CountAsync() > 0 ? await page.Locator("#signin-error").TextContentAsync() : null;
                var said = $"sign-in as {user} on /{portal} stayed on {page.Url} (attempt {attempt}); the page says: '{error?.Trim()}'; title '{await page.TitleAsync()}'";
                output.WriteLine(said);
                if (attempt == 2)
                    throw new Xunit.Sdk.XunitException(said);
            }
        }
    }

    protected static async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoPaths.Screenshots, name + ".png"), FullPage = true });

    protected static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    public async Task DisposeAsync()
    {
        foreach (var c in _contexts) await c.CloseAsync();
        var log = Server.Log;
        output.WriteLine($"--- server output during this test (pid {Server.ProcessId}) ---");
        output.WriteLine(log.Length > _logStart ? log[_logStart..] : "(none)");
    }
}
