namespace Tollgate.Server.DevPortal;

internal sealed record ApplicationRequest(string? Name, string? Description);

internal sealed record ApplicationResponse(Guid Id, string Name, string Description, string Owner, DateTime CreatedAt);

internal sealed record KeyRequest(string? KeyType);

internal sealed record KeyResponse(string KeyType, string ConsumerKey, DateTime CreatedAt);

/// <summary>Shown once, when keys are generated or the secret regenerated.</summary>
internal sealed record KeyWithSecretResponse(string KeyType, string ConsumerKey, string ConsumerSecret);

internal sealed record TokenRequest(int? ValiditySeconds);

internal sealed record SubscriptionRequest(Guid? ApiId, Guid? ApplicationId, string? Plan);

internal sealed record SubscriptionResponse(
    Guid Id, Guid ApiId, Guid ApplicationId, string ApiName, string ApiVersion, string ApiContext,
    string ApplicationName, string ApplicationOwner, string Plan, string Status, DateTime CreatedAt);

internal sealed record SignupRequest(string? Username, string? Password);
