using System.Buffers.Binary;
using System.Net;

namespace Tollgate.Gateway.Listener.Front;

/// <summary>Linux sockaddr_in / sockaddr_in6: read into an <see cref="IPEndPoint"/> (accept4), written from an address and port (connect).</summary>
internal static unsafe class SocketAddresses
{
    public const int MaxLength = 28; // sizeof(sockaddr_in6)

    public static IPEndPoint? Read(byte* address, int length)
    {
        var bytes = new ReadOnlySpan<byte>(address, Math.Min(length, MaxLength));
        if (bytes.Length < 2)
            return null;
        var family = BitConverter.ToUInt16(bytes); // host order
        if (family == Relay.Loop.LinuxSockets.AF_INET && bytes.Length >= 8)
            return new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
        if (family == Relay.Loop.LinuxSockets.AF_INET6 && bytes.Length >= 28)
            return new IPEndPoint(new IPAddress(bytes.Slice(8, 16), BitConverter.ToUInt32(bytes[24..])), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
        return null;
    }

    /// <summary>Writes <paramref name="ip"/> and <paramref name="port"/> into <paramref name="address"/> (at least <see cref="MaxLength"/> bytes); returns its length.</summary>
    public static int Write(IPAddress ip, int port, Span<byte> address)
    {
        address[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(address[2..], (ushort)port);
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(address, (ushort)Relay.Loop.LinuxSockets.AF_INET);
            ip.TryWriteBytes(address.Slice(4, 4), out _);
            return 16;
        }
        BitConverter.TryWriteBytes(address, (ushort)Relay.Loop.LinuxSockets.AF_INET6);
        ip.TryWriteBytes(address.Slice(8, 16), out _);
        BitConverter.TryWriteBytes(address[24..], (uint)ip.ScopeId);
        return 28;
    }
}
