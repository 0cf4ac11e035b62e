namespace Tollgate.Server.Hosting;

/// <summary>
/// On/off options may be given bare (<c>--control-plane-accept-any-certificate</c>). The configuration's command-line
/// reader would take the next argument as their value (swallowing, e.g., <c>--node-name</c>), so a bare flag followed by
/// another option or by nothing becomes <c>--flag=true</c>.
/// </summary>
internal static class CommandLineFlags
{
    private static readonly string[] Flags = ["--control-plane-accept-any-certificate", "--backend-accept-any-certificate"];

    public static string[] Normalize(string[] args)
    {
        var result = new string[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var bare = Flags.Contains(args[i], StringComparer.OrdinalIgnoreCase);
            result[i] = bare && (i + 1 == args.Length || args[i + 1].StartsWith('-')) ? args[i] + "=true" : args[i];
        }
        return result;
    }
}
