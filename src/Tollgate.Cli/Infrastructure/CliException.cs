namespace Tollgate.Cli.Infrastructure;

/// <summary>An error the user can fix; its message says what to change and is printed as one line on stderr.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The HTTP status when the server refused the request.</summary>
    public int? Status { get; init; }
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotSignedIn = 3;
    public const int Unreachable = 4;
    public const int Cancelled = 130;
}
