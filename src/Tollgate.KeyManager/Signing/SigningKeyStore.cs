using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Tollgate.KeyManager.Secrets;

namespace Tollgate.KeyManager.Signing;

/// <summary>
/// The RSA key that signs access tokens. Created once and kept in the data folder (owner-only
/// file mode) so tokens issued before a restart stay valid. The key id is the RFC 7638 thumbprint.
/// </summary>
public sealed class SigningKeyStore
{
    public RsaSecurityKey SigningKey { get; }
    public string KeyId { get; }

    private SigningKeyStore(RSA rsa)
    {
        KeyId = Thumbprint(rsa);
        SigningKey = new RsaSecurityKey(rsa) { KeyId = KeyId };
    }

    public static SigningKeyStore LoadOrCreate(string dataFolder)
    {
        var dir = Path.Combine(dataFolder, "keys");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "token-signing.pem");
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            rsa.KeySize = 2048;
            var pem = rsa.ExportPkcs8PrivateKeyPem();
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, pem);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(tmp, path);
        }
        return new SigningKeyStore(rsa);
    }

    /// <summary>The public half as a JWK, for <c>/oauth2/jwks</c>.</summary>
    public IReadOnlyDictionary<string, string> PublicJwk()
    {
        var p = SigningKey.Rsa.ExportParameters(false);
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = KeyId,
            ["n"] = SecretHasher.Base64Url(p.Modulus),
            ["e"] = SecretHasher.Base64Url(p.Exponent),
        };
    }

    /// <summary>A verification-only copy, for the gateway: it never needs the private key.</summary>
    public RsaSecurityKey PublicKey()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(SigningKey.Rsa.ExportParameters(false));
        return new RsaSecurityKey(rsa) { KeyId = KeyId };
    }

    private static string Thumbprint(RSA rsa)
    {
        var p = rsa.ExportParameters(false);
        var json = $"{{\"e\":\"{SecretHasher.Base64Url(p.Exponent)}\",\"kty\":\"RSA\",\"n\":\"{SecretHasher.Base64Url(p.Modulus)}\"}}";
        return SecretHasher.Base64Url(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)));
    }
}
