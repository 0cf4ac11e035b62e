using System.Text;

namespace Tollgate.Cli.Infrastructure;

internal static class Secrets
{
    /// <summary>Reads a secret from the terminal without echo (or one line from redirected stdin).</summary>
    public static string Prompt(string label)
    {
        Console.Error.Write($"{label}: ");
        if (Console.IsInputRedirected)
        {
            var line = Console.In.ReadLine();
            Console.Error.WriteLine();
            return line ?? throw new CliException($"no {label.ToLowerInvariant()} given on standard input: pass it as an option instead", ExitCodes.Usage);
        }

        var buffer = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (buffer.Length > 0)
                {
                    buffer.Length--;
                }
            }
            else if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
            {
                Console.Error.WriteLine();
                throw new OperationCanceledException();
            }
            else if (!char.IsControl(key.KeyChar))
            {
                buffer.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return buffer.ToString();
    }
}
