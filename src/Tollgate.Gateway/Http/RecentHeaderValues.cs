using System.Text;

namespace Tollgate.Gateway.Http;

/// <summary>
/// The last bearer-token headers seen, by the hash of their tail: a client that reconnects with the same token (an
/// 800-byte JWT is 1.6 KB as a string) gets the string made for its last connection, not a new one. A slot keeps one
/// value; a collision or a race only costs a new string. At most <see cref="Slots"/> values of at most
/// <see cref="MaxLength"/> bytes, kept in memory only (as the validated-token cache keeps tokens), never written out.
/// </summary>
internal static class RecentHeaderValues
{
    public const int Slots = 256;
    public const int MinLength = 64;
    public const int MaxLength = 4096;
    private const int TailBytes = 32; // a JWT's signature: where tokens differ
    private static ReadOnlySpan<byte> Bearer => "Bearer "u8;

    private static readonly string?[] Table = new string?[Slots];

    public static string Get(ReadOnlySpan<byte> value)
    {
        if (value.Length is < MinLength or > MaxLength || !Ascii.EqualsIgnoreCase(value[..Bearer.Length], Bearer))
            return Encoding.Latin1.GetString(value);
        var hash = new HashCode();
        hash.Add(value.Length);
        hash.AddBytes(value[^TailBytes..]);
        ref var slot = ref Table[(uint)hash.ToHashCode() % Slots];
        var known = Volatile.Read(ref slot);
        if (known is not null && known.Length == value.Length && Latin1Equals(value, known))
            return known;
        var made = Encoding.Latin1.GetString(value);
        Volatile.Write(ref slot, made);
        return made;
    }

    private static bool Latin1Equals(ReadOnlySpan<byte> bytes, string text)
    {
        if (Ascii.IsValid(bytes))
            return Ascii.Equals(bytes, text);
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] != text[i])
                return false;
        return true;
    }
}
