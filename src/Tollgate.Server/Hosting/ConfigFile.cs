using System.Text.Json;

namespace Tollgate.Server.Hosting;

/// <summary>
/// An optional JSON file of server options (<c>--config FILE</c> or <c>TOLLGATE_CONFIG</c>), keyed by the option names
/// without dashes, e.g. <c>{"role": "control-plane", "store": "Host=…", "node-secret": "…"}</c>. The environment and
/// the command line override it. Keeps secrets such as the store's password off the command line.
/// </summary>
internal static class ConfigFile
{
    /// <summary>The file named by <c>--config</c> (or <c>--config=</c>) or <c>TOLLGATE_CONFIG</c>; null for none.</summary>
    public static string? PathFrom(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
                return args[i + 1];
            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
                return args[i]["--config=".Length..];
        }
        return Environment.GetEnvironmentVariable("TOLLGATE_CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
    }

    /// <summary>Reads the file's options; a missing or malformed file is an <see cref="OptionsException"/> that says what to fix.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Read(string path)
    {
        if (!File.Exists(path))
            throw new OptionsException($"--config '{path}' does not exist: give the path of a JSON file of options, e.g. {{\"store\": \"Host=db;Database=tollgate;Username=tollgate;Password=...\"}}.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new OptionsException($"--config '{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message.Split(" LineNumber")[0]}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new OptionsException($"--config '{path}' must hold one JSON object of options, e.g. {{\"role\": \"control-plane\"}}.");
            var options = new List<KeyValuePair<string, string?>>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                    _ => throw new OptionsException($"--config '{path}': option '{property.Name}' must be a string, a number or true/false."),
                };
                options.Add(KeyValuePair.Create(property.Name.TrimStart('-'), value));
            }
            return options;
        }
    }
}
