using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Tollgate.ControlPlane.Applications;
using Tollgate.KeyManager;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.Store.Tests.Infrastructure;

namespace Tollgate.Store.Tests;

/// <summary>What only PostgreSQL has: several control planes on one database, and a database Tollgate creates itself.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreOnlyTests(PostgresServer server)
{
    [Fact]
    public async Task Two_control_planes_starting_together_create_the_database_and_schema_once()
    {
        // The database does not exist yet: the first control plane creates it, the advisory lock makes the other wait.
        var store = server.ConnectionString(PostgresServer.UniqueName("race"));
        var starts = await Task.WhenAll(
            ControlPlaneServices.StartAsync(store, postgres: true),
            ControlPlaneServices.StartAsync(store, postgres: true));
        try
        {
            await using var db = await starts[0].Db.CreateDbContextAsync();
            Assert.Equal(4, await db.Plans.CountAsync());
            Assert.Equal(0, await SchemaUpgrades.ApplyAsync(db, default));
        }
        finally
        {
            foreach (var cp in starts)
                await cp.DisposeAsync();
        }
    }

    [Fact]
    public async Task Control_planes_of_one_store_sign_with_the_same_key()
    {
        var store = await server.CreateDatabaseAsync(PostgresServer.UniqueName("signing"));
        await using var first = await ControlPlaneServices.StartAsync(store, postgres: true);
        await using var second = await ControlPlaneServices.StartAsync(store, postgres: true);
        var a = first.Get<SigningKeyStore>();
        var b = second.Get<SigningKeyStore>();
        Assert.Equal(a.KeyId, b.KeyId);
        // Kept in the store, not in either data folder.
        Assert.False(File.Exists(Path.Combine(first.DataFolder, "keys", "token-signing.pem")));

        // A token the first issues is valid for the second.
        var admin = new Actor("admin", true);
        var app = (await first.Get<ApplicationService>().CreateAsync(admin, new ApplicationRequest("Signed", null), default)).Value!;
        await first.Get<ApplicationService>().GenerateKeysAsync(admin, app.Id, "production", default);
        var token = (await first.Get<ApplicationService>().IssueTokenAsync(admin, app.Id, "production", 300, default)).Value!;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token.AccessToken,
            TokenIssuer.ValidationParameters("https://localhost:9443", KeyManagerOptions.GatewayAudience, b.PublicKey()));
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task A_key_already_in_the_data_folder_becomes_the_shared_key()
    {
        // A control plane that signed tokens with its file key keeps them valid when it moves to PostgreSQL.
        var folder = Path.Combine(Path.GetTempPath(), "tollgate-store-" + Guid.NewGuid().ToString("N")[..10]);
        var fileKey = SigningKeyStore.LoadOrCreate(folder);
        var store = await server.CreateDatabaseAsync(PostgresServer.UniqueName("filekey"));
        await using var cp = await ControlPlaneServices.StartAsync(store, postgres: true, folder);
        Assert.Equal(fileKey.KeyId, cp.Get<SigningKeyStore>().KeyId);
    }
}
