namespace Tollgate.Store.Entities;

// EF Core entity classes: mutable by necessity, kept to plain data. Lists are stored as
// comma-separated strings because SQLite has no arrays and these lists are short.

public sealed class UserEntity
{
    public Guid Id { get; set; }
    public string Username { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public string Roles { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    /// <summary>A disabled user cannot sign in or get tokens, nor can their applications.</summary>
    public bool Disabled { get; set; }
}

public sealed class ApiEntity
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Context { get; set; } = "";
    public string Version { get; set; } = "";
    public string? ProductionEndpoint { get; set; }
    public string? SandboxEndpoint { get; set; }
    public string Plans { get; set; } = "";
    public string Description { get; set; } = "";
    public string Tags { get; set; } = "";
    public string State { get; set; } = "Created";
    public bool IsDefaultVersion { get; set; }
    public string Provider { get; set; } = "";
    /// <summary>The API's <c>ApiSecurity</c> as JSON: a document, so new settings need no schema change.</summary>
    public string SecurityJson { get; set; } = "";
    /// <summary>The API-wide throttling policy as JSON (<c>PlanJson</c>); null for none. Added by schema upgrade 1.</summary>
    public string? Throttling { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class PlanEntity
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public long? EventsPerDay { get; set; }
    /// <summary>The whole plan (action, limits, connection limits) as JSON (<c>PlanJson</c>). Added by schema upgrade 1;
    /// null in a database from before it until the first start fills it in.</summary>
    public string? Policy { get; set; }
}

public sealed class ApplicationEntity
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string Owner { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    /// <summary>Name of the plan whose limits apply to all the application's subscriptions together; null for none. Added by schema upgrade 1.</summary>
    public string? ThrottlingPolicy { get; set; }
}

public sealed class ApplicationKeyEntity
{
    public Guid Id { get; set; }
    public Guid ApplicationId { get; set; }
    public string KeyType { get; set; } = "production";
    public string ConsumerKey { get; set; } = "";
    /// <summary>SHA-256 of the secret: secrets are 256-bit random, so a slow hash adds nothing.</summary>
    public string SecretHash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    /// <summary>Tokens issued before this instant are no longer valid (secret regenerated).</summary>
    public DateTime TokensValidAfter { get; set; }
}

/// <summary>An API key of an application (an alternative to OAuth2 tokens where the API allows it).</summary>
public sealed class ApiKeyEntity
{
    public Guid Id { get; set; }
    public Guid ApplicationId { get; set; }
    public string KeyType { get; set; } = "production";
    public string Name { get; set; } = "";
    /// <summary>SHA-256 of the key; the key is shown once and never stored.</summary>
    public string KeyHash { get; set; } = "";
    /// <summary>The first characters, so a user can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class SubscriptionEntity
{
    public Guid Id { get; set; }
    public Guid ApiId { get; set; }
    public Guid ApplicationId { get; set; }
    public string Plan { get; set; } = "";
    public string Status { get; set; } = "Active";
    public DateTime CreatedAt { get; set; }
}

public sealed class RefreshTokenEntity
{
    /// <summary>SHA-256 of the refresh token; the token itself is never stored.</summary>
    public string TokenHash { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string? Username { get; set; }
    public Guid? ApplicationId { get; set; }
    public string? KeyType { get; set; }
    public string Scope { get; set; } = "";
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>An access token revoked before its expiry; kept until it would have expired.</summary>
public sealed class RevokedTokenEntity
{
    public string Jti { get; set; } = "";
    public DateTime ExpiresAt { get; set; }
    public DateTime RevokedAt { get; set; }
}

public sealed class SettingEntity
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
}

/// <summary>
/// One key of the ASP.NET data-protection key ring (portal cookies, antiforgery), shared by every control plane of one
/// PostgreSQL store. The XML is the key as ASP.NET writes it.
/// </summary>
public sealed class DataProtectionKeyEntity
{
    public long Id { get; set; }
    public string FriendlyName { get; set; } = "";
    public string Xml { get; set; } = "";
}
