using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Apis;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Plans;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Sync;

/// <summary>
/// The gateway snapshot as JSON, for gateway nodes that follow a control plane over the cluster stream.
/// Domain records (API security, throttling, plans, grants) are written as they are, so nothing is lost or re-validated
/// on the way; the token-signing key travels as a public JWK (n, e, kid) only: a gateway node never holds the private key.
/// </summary>
public static class SnapshotCodec
{
    public const string MessageType = "snapshot";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Encode(GatewaySnapshot snapshot) =>
        JsonSerializer.SerializeToUtf8Bytes(ToDto(snapshot), Json);

    /// <summary>Reads a snapshot written by <see cref="Encode"/>; a malformed one throws <see cref="FormatException"/>.</summary>
    public static GatewaySnapshot Decode(ReadOnlySpan<byte> utf8)
    {
        SnapshotDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<SnapshotDto>(utf8, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The snapshot is not valid JSON: {e.Message}", e);
        }
        if (dto is null || dto.Type != MessageType)
            throw new FormatException("The message is not a snapshot.");
        return FromDto(dto);
    }

    internal static GatewaySnapshot FromDto(SnapshotDto dto)
    {
        var routes = dto.Routes.Select(r => new ApiRoute(
            r.ApiId, r.Name, r.Context, r.Version, Endpoint(r.ProductionEndpoint), Endpoint(r.SandboxEndpoint), r.State, r.IsDefaultVersion,
            r.Security ?? ApiSecurity.Default, r.AllowedOrigins.ToFrozenSet(StringComparer.Ordinal), r.Throttling));
        return GatewaySnapshot.Create(dto.Version, routes, dto.Subscriptions, dto.RevokedTokenIds,
            dto.KeyTokensValidAfter.Select(kv => KeyValuePair.Create(kv.Key, DateTime.SpecifyKind(kv.Value, DateTimeKind.Utc))),
            dto.ApiKeys, ToTrust(dto.Trust)!, dto.Plans);
    }

    internal static SnapshotDto ToDto(GatewaySnapshot s) => new(
        MessageType,
        s.Version,
        s.RoutesByContextAndVersion.Values.OrderBy(r => r.Label, StringComparer.Ordinal).Select(r => new RouteDto(
            r.ApiId, r.Name, r.Context, r.Version, r.ProductionEndpoint?.OriginalString, r.SandboxEndpoint?.OriginalString, r.State,
            r.IsDefaultVersion, r.Security, r.AllowedOrigins.Order(StringComparer.Ordinal).ToList(), r.Throttling)).ToList(),
        s.Subscriptions.Values.ToList(),
        s.RevokedTokenIds.Order(StringComparer.Ordinal).ToList(),
        s.KeyTokensValidAfter.ToDictionary(StringComparer.Ordinal),
        s.ApiKeysByHash.ToDictionary(StringComparer.Ordinal),
        s.Plans.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList(),
        FromTrust(s.Trust));

    private static TrustDto? FromTrust(TokenTrust? trust)
    {
        if (trust is null)
            return null;
        if (trust.SigningKey is not RsaSecurityKey rsa)
            throw new NotSupportedException($"Only RSA signing keys can be sent to gateway nodes, not {trust.SigningKey.GetType().Name}.");
        // Public parameters only: ExportParameters(false) never includes the private exponent.
        var p = rsa.Rsa is { } key ? key.ExportParameters(includePrivateParameters: false) : rsa.Parameters;
        if (p.Modulus is null || p.Exponent is null)
            throw new NotSupportedException("The signing key has no public RSA parameters.");
        return new TrustDto(trust.Issuer, trust.Audience, new JwkDto("RSA", Base64UrlEncoder.Encode(p.Modulus), Base64UrlEncoder.Encode(p.Exponent), rsa.KeyId));
    }

    private static TokenTrust? ToTrust(TrustDto? dto)
    {
        if (dto is null)
            return null;
        if (dto.Key.Kty != "RSA")
            throw new FormatException($"The snapshot's signing key is of type '{dto.Key.Kty}'; only RSA is supported.");
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(dto.Key.N), Exponent = Base64UrlEncoder.DecodeBytes(dto.Key.E) });
        return new TokenTrust(dto.Issuer, dto.Audience, new RsaSecurityKey(rsa) { KeyId = dto.Key.Kid });
    }

    private static Uri? Endpoint(string? value) => value is not null && Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;

    internal sealed record SnapshotDto(
        string Type,
        long Version,
        List<RouteDto> Routes,
        List<SubscriptionGrant> Subscriptions,
        List<string> RevokedTokenIds,
        Dictionary<string, DateTime> KeyTokensValidAfter,
        Dictionary<string, ApiKeyGrant> ApiKeys,
        List<BusinessPlan> Plans,
        TrustDto? Trust);

    internal sealed record RouteDto(
        Guid ApiId, string Name, string Context, string Version, string? ProductionEndpoint, string? SandboxEndpoint, ApiState State,
        bool IsDefaultVersion, ApiSecurity? Security, List<string> AllowedOrigins, ApiThrottling? Throttling);

    internal sealed record TrustDto(string Issuer, string Audience, JwkDto Key);

    /// <summary>A public RSA key as a JSON Web Key (RFC 7517): modulus and exponent, base64url.</summary>
    internal sealed record JwkDto(string Kty, string N, string E, string? Kid);
}
