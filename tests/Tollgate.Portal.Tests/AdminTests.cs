using System.Text.RegularExpressions;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>Admin: users and roles (create, assign, disable), business plans, the self sign-up setting.</summary>
[Collection(PortalCollection.Name)]
public sealed class AdminTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Admin_creates_a_user_assigns_roles_and_disables_them()
    {
        var admin = await NewPageAsync();
        await SignInAsync(admin, "admin", "admin", Server.AdminPassword);
        await Expect(admin).ToHaveURLAsync(new Regex("/admin/users$"));

        var name = Unique("dora");
        await admin.Locator("#new-username").FillAsync(name);
        await admin.Locator("#new-password").FillAsync(PortalFixture.Password);
        await admin.Locator("#create-user").ClickAsync();
        await Expect(admin.Locator("#notice")).ToContainTextAsync($"User {name} created");
        var row = admin.Locator($"#user-{name}");
        await Expect(row).ToContainTextAsync("Active");

        // The new user signs in to the Developer Portal; with the creator role added, CREATE shows in the Publisher.
        var user = await NewPageAsync();
        await SignInAsync(user, "devportal", name, PortalFixture.Password);
        await Expect(user.Locator("#signed-in-user")).ToHaveTextAsync(name);
        await row.Locator("input[value=creator]").CheckAsync();
        await row.Locator($"#save-roles-{name}").ClickAsync();
        await Expect(admin.Locator("#notice")).ToContainTextAsync("creator");
        await user.GotoAsync("/publisher/apis");
        await Expect(user.Locator("#create-api")).ToBeVisibleAsync();
        await ShotAsync(admin, "13-admin-users");

        // Disabled: the open session ends, sign-in fails with the usual message, no token.
        await admin.Locator($"#user-{name} #toggle-{name}").ClickAsync();
        await Expect(admin.Locator($"#user-{name}")).ToContainTextAsync("Disabled");
        await user.GotoAsync("/devportal/applications");
        await Expect(user).ToHaveURLAsync(new Regex("/devportal/signin"));
        await user.Locator("#username").FillAsync(name);
        await user.Locator("#password").FillAsync(PortalFixture.Password);
        await user.Locator("#signin-submit").ClickAsync();
        await Expect(user.Locator("#signin-error")).ToHaveTextAsync("The username or password is not correct.");
        Assert.Null(await Fixture.PasswordTokenAsync(name, PortalFixture.Password));

        // Enabled again: tokens work.
        await admin.Locator($"#user-{name} #toggle-{name}").ClickAsync();
        await Expect(admin.Locator($"#user-{name}")).ToContainTextAsync("Active");
        Assert.NotNull(await Fixture.PasswordTokenAsync(name, PortalFixture.Password));
    }

    [Fact]
    public async Task Admin_manages_business_plans_and_self_sign_up()
    {
        var admin = await NewPageAsync();
        await SignInAsync(admin, "admin", "admin", Server.AdminPassword);
        await admin.GotoAsync("/admin/plans");
        await Expect(admin.Locator("#plan-Gold")).ToBeVisibleAsync();
        var plan = Unique("Platinum");
        await admin.Locator("#plan-name").FillAsync(plan);
        await admin.Locator("#plan-description").FillAsync("100,000 events a day");
        await admin.Locator("#plan-events").FillAsync("100000");
        await admin.Locator("#create-plan").ClickAsync();
        await Expect(admin.Locator($"#plan-{plan}")).ToBeVisibleAsync();
        await admin.Locator($"#plan-{plan} input[name=description]").FillAsync("A lot of events");
        await admin.Locator($"#save-plan-{plan}").ClickAsync();
        await Expect(admin.Locator("#notice")).ToHaveTextAsync($"Plan {plan} saved.");
        await Expect(admin.Locator($"#plan-{plan} input[name=description]")).ToHaveValueAsync("A lot of events");
        await ShotAsync(admin, "14-admin-plans");

        // Self sign-up is on by default: a visitor signs up and lands in the Developer Portal.
        var visitor = await NewPageAsync();
        await visitor.GotoAsync("/devportal/signin");
        await visitor.Locator("#signup-link").ClickAsync();
        var name = Unique("visitor");
        await visitor.Locator("#username").FillAsync(name);
        await visitor.Locator("#password").FillAsync(PortalFixture.Password);
        await visitor.Locator("#signup-submit").ClickAsync();
        await Expect(visitor).ToHaveURLAsync(new Regex("/devportal/applications$"));
        await Expect(visitor.Locator("#signed-in-user")).ToHaveTextAsync(name);

        // Turned off by the admin: the sign-up page says so.
        await admin.GotoAsync("/admin/settings");
        await Expect(admin.Locator("#self-signup")).ToBeCheckedAsync();
        await admin.Locator("#self-signup").UncheckAsync();
        await admin.Locator("#save-settings").ClickAsync();
        await Expect(admin.Locator("#notice")).ToHaveTextAsync("Self sign-up is off.");
        await ShotAsync(admin, "15-admin-settings");
        var other = await NewPageAsync();
        await other.GotoAsync("/devportal/signup");
        await Expect(other.Locator("#signup-closed")).ToBeVisibleAsync();
        await other.GotoAsync("/devportal/signin");
        await Expect(other.Locator("#signup-link")).ToHaveCountAsync(0);

        await admin.Locator("#self-signup").CheckAsync();
        await admin.Locator("#save-settings").ClickAsync();
        await Expect(admin.Locator("#notice")).ToHaveTextAsync("Self sign-up is on.");

        // Non-admins are refused on the server.
        Assert.Equal(403, (await visitor.GotoAsync("/admin/users"))!.Status);
    }
}
