using System.Text.Json;
using System.Text.Json.Serialization;
using Tollgate.Cli.Infrastructure;

namespace Tollgate.Cli.Session;

/// <summary>What <c>tollgate login</c> remembers: the server and the user's tokens.</summary>
internal sealed record SavedSession(
    string Server,
    string Username,
    string AccessToken,
    string? RefreshToken,
    DateTimeOffset? ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SavedSession))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;

/// <summary>Reads and writes <c>$TOLLGATE_HOME/session.json</c> (default <c>~/.tollgate</c>), readable by the owner only.</summary>
internal sealed class SessionStore
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = OwnerFile | UnixFileMode.UserExecute;

    public SessionStore(string? home = null)
    {
        Home = home
            ?? NonEmpty(Environment.GetEnvironmentVariable("TOLLGATE_HOME"))
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tollgate");
        FilePath = Path.Combine(Home, "session.json");
    }

    public string Home { get; }

    public string FilePath { get; }

    public SavedSession? Load()
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(FilePath), SessionJsonContext.Default.SavedSession);
        }
        catch (JsonException)
        {
            throw new CliException($"{FilePath} is not a valid session file: delete it and run tollgate login", ExitCodes.NotSignedIn);
        }
    }

    public void Save(SavedSession session)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Home);
        }
        else
        {
            Directory.CreateDirectory(Home, OwnerDirectory);
        }

        // Write a private temporary file, then rename it over the old one: never a moment with
        // a half-written or world-readable token file.
        var temporary = FilePath + $".{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerFile;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, session, SessionJsonContext.Default.SavedSession);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, OwnerFile);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
