using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tollgate.Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Portal.Tests;

/// <summary>The seed's rules about CREATE and CREATE &amp; PUBLISH, field errors, and roles enforced on the server.</summary>
[Collection(PortalCollection.Name)]
public sealed class PublisherRuleTests(PortalFixture fixture, ITestOutputHelper output) : PortalTestBase(fixture, output)
{
    [Fact]
    public async Task Create_and_publish_appears_only_with_endpoint_and_plan_and_a_bad_endpoint_shows_the_field_error()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, "publisher", "admin", Server.AdminPassword);
        await page.GotoAsync("/publisher/apis/create/websocket");
        var both = page.Locator("#create-and-publish");
        await Expect(both).ToBeHiddenAsync();

        // A 60-character name (the longest allowed) with no spaces and a 200-character context must not break the layout.
        var name = "L" + new string('o', 50) + Guid.NewGuid().ToString("N")[..9];
        var context = "/" + Guid.NewGuid().ToString("N") + new string('x', 199 - 32);
        await page.Locator("#name").FillAsync(name);
        await page.Locator("#context").FillAsync(context);
        await page.Locator("#version").FillAsync("2.0.0");
        await ChangeAndWaitForCheckAsync(page, () => page.Locator("#plans").SelectOptionAsync(new[] { "Bronze" }));
        await Expect(both).ToBeHiddenAsync(); // plan but no endpoint

        // A bad endpoint: the error shows next to the field as you type.
        await page.Locator("#endpoint").FillAsync("http://x");
        await Expect(page.Locator("#error-endpoint-production")).ToContainTextAsync("ws://");
        await ShotAsync(page, "11-publisher-endpoint-error");

        // ... and on submit, from the server (no API is created).
        await page.Locator("#create").ClickAsync();
        await Expect(page.Locator("#error-endpoint-production")).ToContainTextAsync("must use ws:// or wss://");
        await Expect(page).ToHaveURLAsync(new Regex("/publisher/apis/create/websocket$"));

        // Endpoint without plan: still hidden; endpoint and plan: visible.
        await page.Locator("#endpoint").FillAsync(Server.EchoEndpoint);
        await ChangeAndWaitForCheckAsync(page, () => page.Locator("#plans").SelectOptionAsync(Array.Empty<string>()));
        await Expect(both).ToBeHiddenAsync();
        await Expect(page.Locator("#error-endpoint-production")).ToBeEmptyAsync();
        await page.Locator("#plans").SelectOptionAsync(new[] { "Bronze" });
        await Expect(both).ToBeVisibleAsync();

        await both.ClickAsync();
        await Expect(page).ToHaveURLAsync(OverviewUrl);
        await Expect(page.Locator("#overview-state")).ToHaveTextAsync("Published");

        // Phone width: readable, nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "the overview page is wider than a phone screen with a long name and context");
        await ShotAsync(page, "12-publisher-overview-phone");
    }

    [Fact]
    public async Task Subscriber_and_publisher_without_creator_role_do_not_see_CREATE()
    {
        var subscriber = await NewPageAsync();
        await SignInAsync(subscriber, "devportal", Fixture.Subscriber, PortalFixture.Password);
        var answer = await subscriber.GotoAsync("/publisher/apis");
        Assert.Equal(403, answer!.Status);
        await Expect(subscriber.Locator("#denied-message")).ToBeVisibleAsync();
        await Expect(subscriber.Locator("#create-api")).ToHaveCountAsync(0);
        await Expect(subscriber.Locator("#nav-create-api")).ToHaveCountAsync(0);
        Assert.Equal(403, (await subscriber.GotoAsync("/publisher/apis/create/websocket"))!.Status);

        var publisher = await NewPageAsync();
        await SignInAsync(publisher, "publisher", Fixture.PublisherOnly, PortalFixture.Password);
        await Expect(publisher).ToHaveURLAsync(new Regex("/publisher/apis$"));
        await Expect(publisher.Locator("h1")).ToHaveTextAsync("APIs");
        await Expect(publisher.Locator("#create-api")).ToHaveCountAsync(0);
        await Expect(publisher.Locator("#nav-create-api")).ToHaveCountAsync(0);
        Assert.Equal(403, (await publisher.GotoAsync("/publisher/apis/create/websocket"))!.Status);

        var creator = await NewPageAsync();
        await SignInAsync(creator, "publisher", Fixture.Creator, PortalFixture.Password);
        await Expect(creator.Locator("#create-api")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_creator_without_the_publisher_role_cannot_publish_even_by_posting_the_form()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, "publisher", Fixture.Creator, PortalFixture.Password);
        await page.GotoAsync("/publisher/apis/create/websocket");
        var context = "/creator-" + Guid.NewGuid().ToString("N")[..8];
        await page.Locator("#name").FillAsync(Unique("CreatorApi"));
        await page.Locator("#context").FillAsync(context);
        await page.Locator("#version").FillAsync("1.0.0");
        await page.Locator("#endpoint").FillAsync(Server.EchoEndpoint);
        await ChangeAndWaitForCheckAsync(page, () => page.Locator("#plans").SelectOptionAsync(new[] { "Gold" }));
        await Expect(page.Locator("#create-and-publish")).ToBeHiddenAsync();
        await Expect(page.Locator("#no-publish-role")).ToBeVisibleAsync();

        // Posting the design form with publish=true anyway: refused, nothing created.
        var designToken = await page.Locator("#design-api input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var direct = await page.APIRequest.PostAsync("/publisher/apis/create/websocket", new APIRequestContextOptions
        {
            Form = Form(page, ("_handler", "design-api"), ("__RequestVerificationToken", designToken!), ("name", Unique("Sneaky")),
                ("context", context + "-sneaky"), ("version", "1.0.0"), ("endpoint", Server.EchoEndpoint), ("plans", "Gold"), ("publish", "true")),
            MaxRedirects = 0,
        });
        Assert.Equal(403, direct.Status);
        Assert.Contains("publisher role", await direct.TextAsync());

        // CREATE works and the API stays Created.
        await page.Locator("#create").ClickAsync();
        await Expect(page).ToHaveURLAsync(OverviewUrl);
        await Expect(page.Locator("#overview-state")).ToHaveTextAsync("Created");
        await Expect(page.Locator("#overview-publish")).ToBeDisabledAsync();
        var overview = page.Url.Split('?')[0];

        await page.GotoAsync(overview + "/lifecycle");
        await Expect(page.Locator("#lifecycle-publish")).ToBeDisabledAsync();
        var token = await page.Locator("#lifecycle-form input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var post = await page.APIRequest.PostAsync(overview + "/lifecycle", new APIRequestContextOptions
        {
            Form = Form(page, ("_handler", "lifecycle"), ("__RequestVerificationToken", token!), ("action", "Publish")),
            MaxRedirects = 0,
        });
        Assert.Equal(403, post.Status);
        Assert.Contains("publisher role", await post.TextAsync());

        await page.ReloadAsync();
        await Expect(page.Locator("#lifecycle-state")).ToHaveTextAsync("Created");

        // Without the antiforgery token the post is refused before any handler runs.
        var forged = await page.APIRequest.PostAsync(overview + "/lifecycle", new APIRequestContextOptions
        {
            Form = Form(page, ("_handler", "lifecycle"), ("action", "Publish")),
            MaxRedirects = 0,
        });
        Assert.Equal(400, forged.Status);

        // The sneaky API does not exist.
        await page.GotoAsync("/publisher/apis?q=Sneaky");
        await Expect(page.Locator("#no-apis")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_wrong_password_does_not_say_which_part_was_wrong()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/publisher/signin");
        await page.Locator("#username").FillAsync(Fixture.Subscriber);
        await page.Locator("#password").FillAsync("not-the-password");
        await page.Locator("#signin-submit").ClickAsync();
        var wrongPassword = (await page.Locator("#signin-error").TextContentAsync())!.Trim();

        await page.Locator("#username").FillAsync("nobody-" + Guid.NewGuid().ToString("N")[..6]);
        await page.Locator("#password").FillAsync("not-the-password");
        await page.Locator("#signin-submit").ClickAsync();
        await Expect(page.Locator("#signin-error")).ToBeVisibleAsync();
        var unknownUser = (await page.Locator("#signin-error").TextContentAsync())!.Trim();

        Assert.Equal("The username or password is not correct.", wrongPassword);
        Assert.Equal(wrongPassword, unknownUser);
        await Expect(page).ToHaveURLAsync(new Regex("/publisher/signin"));
        await Expect(page.Locator("#signed-in-user")).ToHaveCountAsync(0);
    }

    /// <summary>Makes a change and waits for the as-you-type check that follows it (the counter is read first, so a fast check is not missed).</summary>
    private static async Task ChangeAndWaitForCheckAsync(IPage page, Func<Task> change)
    {
        var before = await page.Locator("#design-api").GetAttributeAsync("data-checked");
        await change();
        await page.WaitForFunctionAsync(
            "before => { const v = document.querySelector('#design-api').getAttribute('data-checked'); return v !== null && v !== before; }",
            before);
    }

    private static IFormData Form(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
            form.Append(name, value);
        return form;
    }
}
