using System.Net.Sockets;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// Takes a socket out of .NET's own epoll sets before the loop adopts it. The handshake ran on .NET's async socket
/// engine, which registers a socket edge-triggered the first time an operation on it has to wait (always so for the
/// backend's connect). Left there, every message would wake .NET's epoll thread as well as ours for nothing. .NET has
/// no way to unregister, so this removes the socket from every epoll instance the process holds except the loops'
/// (EPOLL_CTL_DEL of a socket an instance does not watch is a harmless ENOENT). The socket must never be used through
/// .NET's async operations again, which holds: from here on only the loop reads and writes it.
/// </summary>
internal static unsafe class ForeignEpollRegistrations
{
    private static int[] s_foreign = [];
    private static readonly object s_gate = new();

    public static void Remove(int fd, IReadOnlySet<int> ours)
    {
        var foreign = Volatile.Read(ref s_foreign);
        if (foreign.Length == 0)
            foreign = Rescan(ours);
        foreach (var epfd in foreign)
            LinuxSockets.epoll_ctl(epfd, LinuxSockets.EPOLL_CTL_DEL, fd, null);
    }

    /// <summary>.NET creates its engines (and their epoll descriptors) once, at the first socket operation that waits.</summary>
    private static int[] Rescan(IReadOnlySet<int> ours)
    {
        lock (s_gate)
        {
            var found = new List<int>();
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (!int.TryParse(Path.GetFileName(entry), out var fd) || ours.Contains(fd))
                    continue;
                string? target = null;
                try
                {
                    target = new FileInfo(entry).LinkTarget;
                }
                catch (IOException)
                {
                }
                if (target == "anon_inode:[eventpoll]")
                    found.Add(fd);
            }
            var result = found.ToArray();
            Volatile.Write(ref s_foreign, result);
            return result;
        }
    }
}
