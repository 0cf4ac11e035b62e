using System.Runtime.InteropServices;

namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// The few libc calls the socket loop makes: epoll, an eventfd to wake it, non-blocking send/recv, and for the handshake
/// front accept, a non-blocking connect and the socket options around them.
/// </summary>
internal static unsafe class LinuxSockets
{
    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    public const int EPOLL_CLOEXEC = 0x80000, EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    public const int MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNABORTED = 103;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int AF_INET = 2, AF_INET6 = 10;
    public const int SOL_SOCKET = 1, SO_ERROR = 4, IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;

    /// <summary>x86-64 only: there the kernel's epoll_event is packed (12 bytes); other architectures use the stream relay.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [DllImport("libc", SetLastError = true)] public static extern int epoll_create1(int flags);
    [DllImport("libc", SetLastError = true)] public static extern int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [DllImport("libc", SetLastError = true)] public static extern int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);
    [DllImport("libc", SetLastError = true)] public static extern int eventfd(uint initval, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint read(int fd, void* buf, nint count);
    [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, void* buf, nint count);
    [DllImport("libc", SetLastError = true)] public static extern nint recv(int fd, byte* buf, nint len, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint send(int fd, byte* buf, nint len, int flags);

    [DllImport("libc", SetLastError = true)] public static extern int accept4(int fd, void* addr, void* addrLen, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] public static extern int connect(int fd, byte* addr, int addrLen);
    [DllImport("libc", SetLastError = true)] public static extern int setsockopt(int fd, int level, int name, void* value, int len);
    [DllImport("libc", SetLastError = true)] public static extern int getsockopt(int fd, int level, int name, void* value, int* len);
    [DllImport("libc", SetLastError = true)] public static extern int fcntl(int fd, int cmd, int arg);
    [DllImport("libc", SetLastError = true)] public static extern int close(int fd);

    /// <summary>
    /// Sends <paramref name="bytes"/> from <paramref name="position"/> on without blocking, advancing it. Returns 0 once all is
    /// sent, <see cref="EAGAIN"/> when the socket takes no more for now (wait for EPOLLOUT), or the errno of a failure.
    /// </summary>
    public static int SendRest(int fd, byte[] bytes, ref int position)
    {
        while (position < bytes.Length)
        {
            nint n;
            fixed (byte* p = bytes)
                n = send(fd, p + position, bytes.Length - position, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
            {
                position += (int)n;
                continue;
            }
            var errno = Errno;
            if (errno != EINTR)
                return errno;
        }
        return 0;
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>An errno as text for logs and relay results (e.g. "ECONNRESET (104)").</summary>
    public static string Describe(int errno) => errno switch
    {
        104 => "connection reset by peer",
        32 => "broken pipe",
        110 => "connection timed out",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };
}
