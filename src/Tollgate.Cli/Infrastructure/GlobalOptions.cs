using System.CommandLine;

namespace Tollgate.Cli.Infrastructure;

/// <summary>Options accepted by every command (added to the root command as recursive options).</summary>
internal static class GlobalOptions
{
    public const string DefaultServer = "https://localhost:9443";

    public static readonly Option<string?> Server = new("--server")
    {
        Description = $"Tollgate server URL [default: $TOLLGATE_SERVER, else the server of the saved login, else {DefaultServer}]",
        HelpName = "URL",
        Recursive = true,
    };

    public static readonly Option<bool> Insecure = new("--insecure")
    {
        Description = "Accept any TLS certificate (a loopback server's self-signed certificate is accepted without it)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the server's JSON instead of text",
        Recursive = true,
    };
}
