using System.Net;
using Tollgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests;

/// <summary>Roles are checked on every REST call: 401 without a token, 403 without the role.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class RoleTests(SharedServerFixture fx, ITestOutputHelper output) : E2eTestBase(fx.Server, output)
{
    private readonly TollgateClient _client = fx.Client;

    [Fact]
    public async Task SubscriberOnly_CannotCreateApis_403()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var user = $"sub{Scenario.Unique()}";
        var password = $"Pw-{Guid.NewGuid():N}";
        await _client.CreateUserAsync(admin, user, password, "subscriber");
        var token = (await _client.GetUserTokenAsync(user, password)).AccessToken;

        using var create = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", token, Scenario.NewApi(Server.EchoEndpoint));
        var body = await create.Content.ReadAsStringAsync();
        Assert.True(create.StatusCode == HttpStatusCode.Forbidden,
            $"a subscriber creating an API must get 403, got {(int)create.StatusCode}: {body}");

        // The subscriber can still use the developer portal.
        var app = await _client.CreateApplicationAsync(token, $"SubApp{Scenario.Unique()}");
        Assert.Equal(user, app.Owner);
    }

    [Fact]
    public async Task CreatorOnly_CanCreate_ButNotPublish_403()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var user = $"cre{Scenario.Unique()}";
        var password = $"Pw-{Guid.NewGuid():N}";
        await _client.CreateUserAsync(admin, user, password, "creator");
        var token = (await _client.GetUserTokenAsync(user, password)).AccessToken;

        var api = await _client.CreateApiAsync(token, Scenario.NewApi(Server.EchoEndpoint));
        Assert.Equal("Created", api.State);
        Assert.Equal(user, api.Provider);

        using (var publish = await _client.SendAsync(HttpMethod.Post, $"api/publisher/apis/{api.Id}/lifecycle", token, new { action = "Publish" }))
            Assert.True(publish.StatusCode == HttpStatusCode.Forbidden,
                $"a creator without the publisher role changing the lifecycle must get 403, got {(int)publish.StatusCode}: {await publish.Content.ReadAsStringAsync()}");

        using (var createAndPublish = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", token,
                   Scenario.NewApi(Server.EchoEndpoint) with { Publish = true }))
            Assert.True(createAndPublish.StatusCode == HttpStatusCode.Forbidden,
                $"CREATE & PUBLISH without the publisher role must get 403, got {(int)createAndPublish.StatusCode}: {await createAndPublish.Content.ReadAsStringAsync()}");

        Assert.Equal("Created", (await _client.GetApiAsync(admin, api.Id)).State);
    }

    [Fact]
    public async Task CreateAndPublish_NeedsEndpointAndPlans()
    {
        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var published = await _client.CreateApiAsync(admin, Scenario.NewApi(Server.EchoEndpoint) with { Publish = true });
        Assert.Equal("Published", published.State);

        using var noPlans = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", admin,
            Scenario.NewApi(Server.EchoEndpoint, plans: []) with { Publish = true });
        var body = await TollgateClient.ExpectJsonAsync(noPlans, HttpStatusCode.BadRequest, "CREATE & PUBLISH without plans");
        Assert.True(body.TryGetProperty("errors", out var errors) && errors.TryGetProperty("plans", out _),
            $"the problem must name the field 'plans': {body}");
    }

    [Fact]
    public async Task SignedUpUser_IsASubscriber_AndAnonymousSeesOnlyPublishedApis()
    {
        var user = $"dev{Scenario.Unique()}";
        var password = $"Pw-{Guid.NewGuid():N}";
        using (var signup = await _client.SendAsync(HttpMethod.Post, "api/devportal/signup", null, new { username = user, password }))
            Assert.True(signup.StatusCode == HttpStatusCode.Created,
                $"POST /api/devportal/signup must be 201, got {(int)signup.StatusCode}: {await signup.Content.ReadAsStringAsync()}");
        var token = (await _client.GetUserTokenAsync(user, password)).AccessToken;
        using (var create = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", token, Scenario.NewApi(Server.EchoEndpoint)))
            Assert.True(create.StatusCode == HttpStatusCode.Forbidden, $"a signed-up subscriber creating an API must get 403, got {(int)create.StatusCode}");

        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        var hidden = await _client.CreateApiAsync(admin, Scenario.NewApi(Server.EchoEndpoint));
        var shown = await _client.CreateApiAsync(admin, Scenario.NewApi(Server.EchoEndpoint) with { Publish = true });
        using var list = await _client.SendAsync(HttpMethod.Get, "api/devportal/apis", null);
        var body = await TollgateClient.ExpectJsonAsync(list, HttpStatusCode.OK, "anonymous GET /api/devportal/apis");
        var ids = body.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToArray();
        Assert.Contains(shown.Id, ids);
        Assert.DoesNotContain(hidden.Id, ids);
    }

    [Fact]
    public async Task NoToken_Is401_BadToken_Is401()
    {
        using (var none = await _client.SendAsync(HttpMethod.Post, "api/publisher/apis", null, Scenario.NewApi(Server.EchoEndpoint)))
            Assert.True(none.StatusCode == HttpStatusCode.Unauthorized,
                $"POST /api/publisher/apis without a token must be 401, got {(int)none.StatusCode}");

        using (var list = await _client.SendAsync(HttpMethod.Get, "api/publisher/apis", null))
            Assert.True(list.StatusCode == HttpStatusCode.Unauthorized,
                $"GET /api/publisher/apis without a token must be 401, got {(int)list.StatusCode}");

        var admin = (await _client.GetAdminTokenAsync()).AccessToken;
        using (var bad = await _client.SendAsync(HttpMethod.Get, "api/publisher/apis", Jwt.TamperSignature(admin)))
            Assert.True(bad.StatusCode == HttpStatusCode.Unauthorized,
                $"GET /api/publisher/apis with a tampered token must be 401, got {(int)bad.StatusCode}");
    }

    [Fact]
    public async Task WrongPassword_IsRefusedByTheTokenEndpoint()
    {
        using var response = await _client.PostTokenRawAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = Server.AdminUser,
            ["password"] = "wrong-" + Server.AdminPassword,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized,
            $"a wrong password must be refused with 400/401, got {(int)response.StatusCode}: {body}");
        Assert.Contains("\"error\"", body);
    }
}
