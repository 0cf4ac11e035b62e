using System.CommandLine;

namespace Tollgate.Cli.Infrastructure;

/// <summary>Runs a command body and turns every failure into a one-line message on stderr and an exit code.</summary>
internal static class CliAction
{
    public static void Set(Command command, Func<CliContext, CancellationToken, Task<int>> body) =>
        command.SetAction(async (ParseResult parseResult, CancellationToken ct) =>
        {
            try
            {
                return await body(new CliContext(parseResult), ct);
            }
            catch (CliException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine("cancelled");
                return ExitCodes.Cancelled;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Error;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"error: {e.Message}: check the permissions of the Tollgate folder (TOLLGATE_HOME)");
                return ExitCodes.Error;
            }
        });
}
