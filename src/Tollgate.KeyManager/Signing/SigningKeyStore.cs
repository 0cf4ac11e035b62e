using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Tollgate.KeyManager.Secrets;
using Tollgate.Store;

namespace Tollgate.KeyManager.Signing;

/// <summary>
/// The RSA key that signs access tokens. Created once and kept in the data folder (owner-only
/// file mode) so tokens issued before a restart stay valid; on PostgreSQL kept in the store instead, so every control
/// plane of one store signs with the same key. The key id is the RFC 7638 thumbprint.
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

    /// <summary>The settings row holding the PEM of the shared key (PostgreSQL stores only).</summary>
    public const string SettingKey = "token-signing-key";

    /// <summary>
    /// On PostgreSQL the key in the store, created by whichever control plane comes first (a key already in the data
    /// folder is offered, so tokens it signed stay valid); on SQLite the key in the data folder.
    /// </summary>
    public static SigningKeyStore LoadOrCreate(string dataFolder, IDbContextFactory<TollgateDb>? dbFactory)
    {
        if (dbFactory is null)
            return LoadOrCreate(dataFolder);
        using var db = dbFactory.CreateDbContext();
        if (!db.Database.IsNpgsql())
            return LoadOrCreate(dataFolder);
        var path = Path.Combine(dataFolder, "keys", "token-signing.pem");
        string candidate;
        if (File.Exists(path))
            candidate = File.ReadAllText(path);
        else
        {
            using var fresh = RSA.Create(2048);
            candidate = fresh.ExportPkcs8PrivateKeyPem();
        }
        // The first control plane's key wins; the others discard theirs and read it (no lock needed).
        db.Database.ExecuteSql($"INSERT INTO settings (\"Key\", \"Value\") VALUES ({SettingKey}, {candidate}) ON CONFLICT (\"Key\") DO NOTHING");
        var pem = db.Settings.AsNoTracking().Where(s => s.Key == SettingKey).Select(s => s.Value).Single();
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new SigningKeyStore(rsa);
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
