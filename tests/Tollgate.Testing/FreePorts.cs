using System.Net;
using System.Net.Sockets;

namespace Tollgate.Testing;

public static class FreePorts
{
    /// <summary>Binds <paramref name="count"/> loopback sockets to port 0 at once, then releases them.</summary>
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    public static int Take() => Take(1)[0];
}
