using System.Collections;

namespace Tollgate.Server.Hosting;

/// <summary>
/// <c>TOLLGATE_&lt;OPTION&gt;</c> environment variables for options whose names have hyphens: the environment reader
/// keeps underscores (<c>TOLLGATE_NODE_SECRET</c> would be <c>node_secret</c>), the options are read as
/// <c>node-secret</c>. This gives each such variable its hyphenated name too.
/// </summary>
internal static class EnvironmentOptions
{
    private const string Prefix = "TOLLGATE_";

    public static IEnumerable<KeyValuePair<string, string?>> Hyphenated()
    {
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string key && key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && key.Length > Prefix.Length && key.Contains('_', Prefix.Length))
                yield return KeyValuePair.Create(key[Prefix.Length..].Replace('_', '-').ToLowerInvariant(), e.Value as string);
        }
    }

    private static bool Contains(this string s, char c, int from) => s.IndexOf(c, from) >= 0;
}
