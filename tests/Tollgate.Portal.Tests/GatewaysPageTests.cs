using System.Text.RegularExpressions;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>Admin → Gateways: the gateway nodes with their snapshot version, last seen and open connections.</summary>
[Collection(PortalCollection.Name)]
public sealed class GatewaysPageTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Admin_sees_the_all_in_one_process_gateway_listed_online()
    {
        var admin = await NewPageAsync();
        await SignInAsync(admin, "admin", "admin", Server.AdminPassword);
        await admin.Locator("#nav-gateways").ClickAsync();
        await Expect(admin).ToHaveURLAsync(new Regex("/admin/gateways$"));
        // The process's own gateway reports every 2 s; the first report may follow the page by a moment.
        for (var i = 0; i < 20 && await admin.Locator("#gateway-table").CountAsync() == 0; i++)
        {
            await Task.Delay(250);
            await admin.ReloadAsync();
        }
        var row = admin.Locator("#gateway-table tbody tr").First;
        await Expect(row).ToHaveAttributeAsync("data-online", "true");
        await Expect(row).ToContainTextAsync("online");
        await Expect(row).ToContainTextAsync("gateway of the same process");
        var version = await admin.Locator("#control-plane-version").InnerTextAsync();
        Assert.True(long.Parse(version) >= 1, $"the control plane's snapshot version is shown: {version}");
        await ShotAsync(admin, "40-admin-gateways");

        // Only admins: a subscriber is refused on the server.
        var subscriber = await NewPageAsync();
        await SignInAsync(subscriber, "devportal", Fixture.Subscriber, PortalFixture.Password);
        Assert.Equal(403, (await subscriber.GotoAsync("/admin/gateways"))!.Status);
    }
}
