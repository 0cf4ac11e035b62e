using System.Reflection;

namespace Tollgate.Server.Cluster;

internal static class TollgateVersion
{
    /// <summary>The server's version as built (informational version without the source revision suffix).</summary>
    public static readonly string Current =
        (typeof(TollgateVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
         ?? typeof(TollgateVersion).Assembly.GetName().Version?.ToString() ?? "0.0.0").Split('+')[0];
}
