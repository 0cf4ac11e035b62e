using System.Net;
using System.Net.Security;

namespace Tollgate.Cli.Http;

/// <summary>
/// Tollgate makes a self-signed certificate on first start. It is accepted without <c>--insecure</c>
/// only when the server is this machine (localhost, 127.0.0.0/8, ::1); anywhere else the normal
/// certificate validation applies unless the user passes <c>--insecure</c>.
/// </summary>
internal static class TlsPolicy
{
    public static bool IsLoopback(Uri server)
    {
        var host = server.Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    public static RemoteCertificateValidationCallback Callback(Uri server, bool insecure, Action<SslPolicyErrors>? rejected = null)
    {
        var acceptAny = insecure || IsLoopback(server);
        return (_, _, _, errors) =>
        {
            if (errors == SslPolicyErrors.None || acceptAny)
            {
                return true;
            }

            rejected?.Invoke(errors);
            return false;
        };
    }
}
