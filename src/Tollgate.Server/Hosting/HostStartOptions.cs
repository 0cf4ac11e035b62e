namespace Tollgate.Server.Hosting;

/// <summary>
/// The options every web host in the process starts from: the content root is the install folder and configuration
/// files are not watched. ASP.NET Core's defaults would watch the current directory, recursively, for appsettings.json
/// changes: one inotify watch per folder below it (started from a home directory that can exhaust the system's limit),
/// and an event for every write to a data folder inside it (the SQLite store writes on every analytics batch).
/// </summary>
internal static class HostStartOptions
{
    public static WebApplicationOptions For(string[]? args = null) => new()
    {
        Args = [.. args ?? [], "--hostBuilder:reloadConfigOnChange=false"],
        ContentRootPath = AppContext.BaseDirectory,
    };
}
