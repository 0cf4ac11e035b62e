using System.Net;
using System.Text.Json;
using Tollgate.Store.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tollgate.Store.Tests;

/// <summary>The store given in a configuration file (<c>--config</c>) instead of on the command line, and a bad file refused.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigFileStoreTests(PostgresServer pg, ITestOutputHelper output)
{
    [Fact]
    public async Task A_config_file_names_the_postgresql_store_and_the_command_line_overrides_it()
    {
        var store = await pg.CreateDatabaseAsync(PostgresServer.UniqueName("config"));
        var file = Path.Combine(Path.GetTempPath(), $"tollgate-config-{Guid.NewGuid():N}.json");
        // Comments and a number are allowed; the command line's --echo-port wins over the file's.
        await File.WriteAllTextAsync(file, $$"""
            // Tollgate options: the same names as on the command line, without the dashes.
            { "store": {{JsonSerializer.Serialize(store)}}, "echo-port": 1, "analytics": "on" }
            """);
        await using var server = new TollgateServer();
        server.ExtraArgs.AddRange(["--config", file]);
        try
        {
            await server.StartAsync();
            output.WriteLine(server.Log);
            Assert.Contains($"Store:          PostgreSQL 127.0.0.1:{pg.Port}/", server.Log);
            Assert.Contains($"Echo backend:   ws://localhost:{server.EchoPort}/echo", server.Log);
            using var rest = new Rest(server);
            var admin = await rest.UserTokenAsync(server.AdminUser, server.AdminPassword);
            await rest.ExpectAsync(HttpMethod.Post, "api/devportal/applications", admin, new { name = "FromConfigFile" }, HttpStatusCode.Created);
            // The application is in PostgreSQL.
            await using var db = new Npgsql.NpgsqlConnection(store);
            await db.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM applications WHERE \"Name\" = 'FromConfigFile'", db);
            Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_config_file_that_is_not_json_stops_the_start_with_what_to_fix()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tollgate-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{ \"store\": \"Host=x;Password=hidden-secret\" ");
        try
        {
            await RepoPaths.EnsureBuiltAsync(RepoPaths.ServerDll, RepoPaths.ServerProject);
            var result = await ChildProcess.RunAsync("dotnet", [RepoPaths.ServerDll, "--config", file], timeout: TimeSpan.FromSeconds(60));
            output.WriteLine(result.Output);
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith("error: --config", result.StdErr.TrimStart());
            Assert.Contains("not valid JSON", result.StdErr);
            Assert.DoesNotContain("hidden-secret", result.StdErr + result.StdOut);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
