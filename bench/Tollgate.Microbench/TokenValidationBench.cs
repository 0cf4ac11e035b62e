using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Applications;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Microbench;

/// <summary>The handshake's token check: a full RS256 validation (first use of a token) against the cached claims (every reconnect).</summary>
[MemoryDiagnoser]
public class TokenValidationBench
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private TokenValidationParameters _parameters = null!;
    private TokenTrust _trust = null!;
    private string _token = "";
    private readonly ValidatedTokenCache _cache = new();

    [GlobalSetup]
    public void Setup()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k1" };
        _trust = new TokenTrust("https://127.0.0.1:9443/oauth2", "tollgate-gateway", key);
        var now = DateTime.UtcNow;
        _token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _trust.Issuer, Audience = _trust.Audience, IssuedAt = now, NotBefore = now, Expires = now.AddHours(1),
            TokenType = "at+jwt", SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            Claims = new Dictionary<string, object> { ["app_id"] = Guid.NewGuid().ToString(), ["client_id"] = "ck", ["sub"] = "admin", ["jti"] = Guid.NewGuid().ToString("N"), ["key_type"] = "production" },
        });
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _trust.Issuer, ValidAudience = _trust.Audience, IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256], ValidTypes = ["at+jwt"], ClockSkew = TimeSpan.FromSeconds(1),
            RequireExpirationTime = true, RequireSignedTokens = true,
        };
        _cache.Add(_trust, _token, new ValidatedToken(Guid.NewGuid(), "ck", "admin", "jti", now, now.AddHours(1), KeyType.Production));
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> Full_RS256_validation() => (await _handler.ValidateTokenAsync(_token, _parameters)).IsValid;

    [Benchmark]
    public bool Cached_claims_lookup() => _cache.TryGet(_trust, _token, DateTime.UtcNow, out _);
}
