using System.Security.Cryptography;
using System.Text;

namespace Tollgate.KeyManager.Secrets;

/// <summary>
/// Random secrets (consumer secrets, refresh tokens) and their hashes. They carry 256 bits of
/// entropy, so a fast SHA-256 is enough at rest; user passwords use PBKDF2 instead.
/// </summary>
public static class SecretHasher
{
    public static string NewSecret(int bytes = 32) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    public static string NewConsumerKey() => Base64Url(RandomNumberGenerator.GetBytes(18));

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Verify(string secret, string hash)
    {
        var actual = Encoding.ASCII.GetBytes(Hash(secret));
        var expected = Encoding.ASCII.GetBytes(hash);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
