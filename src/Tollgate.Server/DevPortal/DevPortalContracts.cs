namespace Tollgate.Server.DevPortal;

/// <param name="ThrottlingPolicy">A plan whose limits apply to all the application's subscriptions together; "" or "Unlimited" for none.</param>
internal sealed record ApplicationRequest(string? Name, string? Description, string? ThrottlingPolicy = null);

internal sealed record ApplicationResponse(Guid Id, string Name, string Description, string Owner, DateTime CreatedAt, string ThrottlingPolicy);

/// <summary>Body of <c>PUT /api/devportal/subscriptions/{id}</c>: move the subscription to another of the API's plans.</summary>
internal sealed record SubscriptionUpdateRequest(string? Plan);

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
