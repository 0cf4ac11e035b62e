using System.Text;
using System.Text.Json;

namespace Tollgate.EndToEnd.Tests.Infrastructure;

public static class Jwt
{
    public static JsonElement Header(string jwt) => Part(jwt, 0);
    public static JsonElement Payload(string jwt) => Part(jwt, 1);

    private static JsonElement Part(string jwt, int index)
    {
        var parts = jwt.Split('.');
        Assert.True(parts.Length == 3, $"an access token must be a JWS compact JWT (3 parts), got {parts.Length} parts");
        return JsonDocument.Parse(Base64UrlDecode(parts[index])).RootElement.Clone();
    }

    public static byte[] Base64UrlDecode(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        b = b.PadRight(b.Length + (4 - b.Length % 4) % 4, '=');
        return Convert.FromBase64String(b);
    }

    /// <summary>Changes one character in the middle of the signature (not the last one, whose low bits may be padding).</summary>
    public static string TamperSignature(string jwt)
    {
        var sigStart = jwt.LastIndexOf('.') + 1;
        var i = sigStart + (jwt.Length - sigStart) / 2;
        var c = jwt[i] == 'A' ? 'B' : 'A';
        var tampered = string.Concat(jwt.AsSpan(0, i), c.ToString(), jwt.AsSpan(i + 1));
        Assert.NotEqual(jwt, tampered);
        return tampered;
    }
}
