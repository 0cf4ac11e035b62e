namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>A published API with an application, production keys, a subscription and an access token.</summary>
public sealed record Provisioned(
    ApiDto Api,
    ApplicationDto App,
    KeyDto Keys,
    SubscriptionDto Subscription,
    TokenResponse Token,
    string AdminToken,
    string GatewayUrl,
    string DefaultVersionUrl);

public static class Scenario
{
    /// <summary>A short unique suffix for names of APIs and applications.</summary>
    public static string Unique() => Guid.NewGuid().ToString("N")[..10];

    public static CreateApiRequest NewApi(string endpoint, string? tag = null, string[]? plans = null)
    {
        var id = tag ?? Unique();
        return new CreateApiRequest(
            Name: $"E2E{id}",
            Context: $"/e2e{id}",
            Version: "1.0.0",
            Endpoint: new EndpointConfig(endpoint),
            Plans: plans ?? ["Gold", "Silver"]);
    }

    /// <summary>The whole tutorial with unique names: create, publish, application, keys, subscribe (Gold), client_credentials token.</summary>
    public static async Task<Provisioned> ProvisionAsync(
        TollgateServer server, TollgateClient client, string? endpoint = null, bool publish = true, bool subscribe = true)
    {
        var admin = (await client.GetAdminTokenAsync()).AccessToken;
        var api = await client.CreateApiAsync(admin, NewApi(endpoint ?? server.EchoEndpoint));
        if (publish) api = await client.ChangeLifecycleAsync(admin, api.Id, "Publish");
        var app = await client.CreateApplicationAsync(admin, $"App{Unique()}");
        var keys = await client.GenerateKeysAsync(admin, app.Id, "production");
        Assert.False(string.IsNullOrEmpty(keys.ConsumerSecret), "the consumer secret must be shown when keys are generated");
        SubscriptionDto? sub = null;
        if (subscribe) sub = await client.SubscribeAsync(admin, api.Id, app.Id, "Gold");
        var token = await client.GetClientCredentialsTokenAsync(keys.ConsumerKey, keys.ConsumerSecret!);
        var result = new Provisioned(api, app, keys, sub!, token, admin,
            $"{server.GatewayBase}{api.Context}/{api.Version}",
            $"{server.GatewayBase}{api.Context}");
        // Changes reach the gateway within a second (contract): let them land before the test starts.
        if (publish && subscribe) await GatewayClient.WaitUntilDeployedAsync(result.GatewayUrl, token.AccessToken);
        return result;
    }
}
