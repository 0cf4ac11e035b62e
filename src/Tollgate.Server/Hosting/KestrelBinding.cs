using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Tollgate.Server.Hosting;

internal static class KestrelBinding
{
    /// <summary>Listens on loopback for "localhost" (IPv4 and IPv6), on every interface for "*", or on one address.</summary>
    public static void Listen(KestrelServerOptions kestrel, string bind, int port, Action<ListenOptions> configure)
    {
        if (bind is "localhost")
            kestrel.ListenLocalhost(port, configure);
        else if (bind is "*" or "0.0.0.0" or "any")
            kestrel.ListenAnyIP(port, configure);
        else if (IPAddress.TryParse(bind, out var address))
            kestrel.Listen(address, port, configure);
        else
            throw new OptionsException($"--bind '{bind}' is not an address: use localhost, * or an IP address.");
    }
}
