using System.CommandLine;
using Tollgate.Cli.Http;
using Tollgate.Cli.Session;

namespace Tollgate.Cli.Infrastructure;

/// <summary>What every command needs: parsed global options, output streams, the session store.</summary>
internal sealed class CliContext(ParseResult parseResult)
{
    public ParseResult ParseResult { get; } = parseResult;

    public bool Json { get; } = parseResult.GetValue(GlobalOptions.Json);

    public bool Insecure { get; } = parseResult.GetValue(GlobalOptions.Insecure);

    public TextWriter Out { get; } = Console.Out;

    /// <summary>Progress and warnings: never on stdout, so stdout stays parseable.</summary>
    public TextWriter Err { get; } = Console.Error;

    public SessionStore Sessions { get; } = new();

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    public void Progress(string message) => Err.WriteLine(message);

    public void Warn(string message) => Err.WriteLine($"warning: {message}");

    public void PrintJson(System.Text.Json.Nodes.JsonNode? node) => Out.WriteLine(Infrastructure.Json.Format(node));

    /// <summary>
    /// Opens a client for the chosen server: <c>--server</c>, else <c>TOLLGATE_SERVER</c>, else the
    /// server of the saved login, else https://localhost:9443. The saved tokens are used only when
    /// they were issued by that same server.
    /// </summary>
    public TollgateClient Connect()
    {
        var saved = Sessions.Load();
        var server = ResolveServer(saved);
        var key = TollgateClient.ServerKey(server);
        var session = saved is not null && saved.Server == key ? saved : null;
        var notSignedIn = saved is null
            ? $"not signed in: run tollgate login -u USER{ServerHint(server)}"
            : $"not signed in to {key} (the saved login is for {saved.Server}): run tollgate login -u USER{ServerHint(server)}";
        return new TollgateClient(server, Insecure, Sessions, session, notSignedIn);
    }

    private Uri ResolveServer(SavedSession? saved)
    {
        var text = NonEmpty(ParseResult.GetValue(GlobalOptions.Server))
            ?? NonEmpty(Environment.GetEnvironmentVariable("TOLLGATE_SERVER"))
            ?? saved?.Server
            ?? GlobalOptions.DefaultServer;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new CliException($"'{text}' is not a server URL: pass --server (or TOLLGATE_SERVER) like {GlobalOptions.DefaultServer}", ExitCodes.Usage);
        }

        return uri;
    }

    private static string ServerHint(Uri server) =>
        TollgateClient.ServerKey(server) == GlobalOptions.DefaultServer ? "" : $" --server {server.GetLeftPart(UriPartial.Path).TrimEnd('/')}";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
