namespace Tollgate.KeyManager.Tokens;

/// <summary>Claim names in Tollgate access tokens.</summary>
public static class TokenClaims
{
    public const string ClientId = "client_id";
    public const string ApplicationId = "app_id";
    public const string KeyType = "key_type";
    public const string Role = "role";
    public const string Scope = "scope";
}
