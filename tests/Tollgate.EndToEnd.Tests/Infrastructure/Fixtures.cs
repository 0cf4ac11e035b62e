using Xunit.Abstractions;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

/// <summary>A running server and a REST client for it, started once per fixture.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    public TollgateServer Server { get; } = new();
    public TollgateClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.StartAsync();
        Client = new TollgateClient(Server);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>One server shared by every test of the "Shared server" collection (startup costs seconds).</summary>
public sealed class SharedServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<SharedServerFixture>
{
    public const string Name = "Shared server";
}

/// <summary>
/// Base of the tests: writes the server output produced while the test ran to the test's output,
/// so a failing test shows what the server logged.
/// </summary>
public abstract class E2eTestBase : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly int _logStart;

    protected E2eTestBase(TollgateServer server, ITestOutputHelper output)
    {
        Server = server;
        _output = output;
        _logStart = server.LogLength;
    }

    protected TollgateServer Server { get; }

    protected void Note(string message) => _output.WriteLine($"[test] {message}");

    public virtual void Dispose()
    {
        var log = Server.LogSince(_logStart);
        const int max = 20_000;
        if (log.Length > max) log = "…" + log[^max..];
        _output.WriteLine($"--- Tollgate server output during this test (pid {Server.ProcessId}, data {Server.DataDir}) ---");
        _output.WriteLine(log.Length == 0 ? "(none)" : log);
        GC.SuppressFinalize(this);
    }
}

/// <summary>A server of its own for one test class (restart and CLI tests), used through IClassFixture.</summary>
public sealed class DedicatedServerFixture : ServerFixture;
