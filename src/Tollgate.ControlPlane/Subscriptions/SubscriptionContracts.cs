namespace Tollgate.ControlPlane.Subscriptions;

public sealed record SubscriptionRequest(Guid? ApiId, Guid? ApplicationId, string? Plan);

public sealed record SubscriptionResponse(
    Guid Id, Guid ApiId, Guid ApplicationId, string ApiName, string ApiVersion, string ApiContext,
    string ApplicationName, string ApplicationOwner, string Plan, string Status, DateTime CreatedAt);

/// <summary>Body of <c>PUT /api/devportal/subscriptions/{id}</c>: move the subscription to another of the API's plans.</summary>
public sealed record SubscriptionUpdateRequest(string? Plan);
