using System.Collections.Concurrent;
using Tollgate.Core.Applications;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Handshake;

/// <summary>The claims of an access token whose signature, issuer, audience, type and lifetime were checked.</summary>
internal sealed record ValidatedToken(Guid ApplicationId, string ConsumerKey, string Subject, string TokenId,
    DateTime IssuedAt, DateTime ExpiresAt, KeyType KeyType);

/// <summary>
/// Access tokens already validated, keyed by the exact token text: a client that reconnects with the same token skips
/// the RSA signature check and the JWT parse. Only what the signature proves is cached; expiry is checked again on
/// every use, and revocation, key regeneration and subscription come from the current snapshot each time (the caller
/// does those after this). A change of trust (key rotation, issuer) drops every entry. Bounded: when full, it starts over.
/// Connection tickets are never cached (each is single-use).
/// </summary>
internal sealed class ValidatedTokenCache(int capacity = 10_000)
{
    private sealed class Generation(TokenTrust trust)
    {
        public readonly TokenTrust Trust = trust;
        public readonly ConcurrentDictionary<string, ValidatedToken> Tokens = new(StringComparer.Ordinal);
    }

    private Generation? _current;

    public int Count => Volatile.Read(ref _current)?.Tokens.Count ?? 0;

    /// <summary>Looks the token up by its text: a hit makes no string of it.</summary>
    public bool TryGet(TokenTrust trust, ReadOnlySpan<char> token, DateTime utcNow, out ValidatedToken? validated)
    {
        validated = null;
        var generation = Volatile.Read(ref _current);
        if (generation is null || !Equals(generation.Trust, trust))
            return false;
        var byText = generation.Tokens.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!byText.TryGetValue(token, out var found))
            return false;
        if (utcNow >= found.ExpiresAt)
        {
            byText.TryRemove(token, out _, out _);
            return false;
        }
        validated = found;
        return true;
    }

    public void Add(TokenTrust trust, string token, ValidatedToken validated)
    {
        var generation = Volatile.Read(ref _current);
        if (generation is null || !Equals(generation.Trust, trust) || generation.Tokens.Count >= capacity)
        {
            // A new key set, or full: start over (expired entries and tokens of rotated keys go with it).
            generation = new Generation(trust);
            Volatile.Write(ref _current, generation);
        }
        generation.Tokens[token] = validated;
    }
}
