using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tollgate.Server.Hosting;

/// <summary>
/// The HTTPS certificate: made self-signed on first start for localhost and kept in the data
/// folder (owner-only), so browsers and the CLI see the same certificate after a restart.
/// </summary>
internal static class CertificateProvider
{
    /// <summary>The configured certificate (<c>--tls-cert</c> PFX, or PEM with <c>--tls-key</c>), else the generated one.</summary>
    public static X509Certificate2 Load(ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TlsCertificate))
            return LoadOrCreate(options.DataFolder, options.PublicHost);
        var path = options.TlsCertificate;
        try
        {
            var certificate = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(path, options.TlsCertificatePassword)
                : X509Certificate2.CreateFromPemFile(path, options.TlsKey ?? throw new OptionsException("--tls-cert is a PEM file: also give its private key with --tls-key."));
            if (!certificate.HasPrivateKey)
                throw new OptionsException($"--tls-cert {path} has no private key: give a PFX with its key, or a PEM certificate with --tls-key.");
            // Kestrel on Linux wants an exportable key; re-importing a PEM pair as PKCS#12 gives one.
            return OperatingSystem.IsLinux()
                ? X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null)
                : certificate;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new OptionsException($"Cannot load the TLS certificate {path}: {e.Message} Check the path, the format (PFX or PEM) and --tls-cert-password.");
        }
    }

    public static X509Certificate2 LoadOrCreate(string dataFolder, string publicHost)
    {
        var path = Path.Combine(dataFolder, "tls", "tollgate.pfx");
        if (File.Exists(path))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            if (existing.NotAfter > DateTime.Now.AddDays(7))
                return existing;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={publicHost}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        if (publicHost != "localhost")
        {
            if (IPAddress.TryParse(publicHost, out var ip)) san.AddIpAddress(ip); else san.AddDnsName(publicHost);
        }
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(2));
        var pfx = created.Export(X509ContentType.Pfx);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, pfx);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }
}
