namespace Tollgate.ControlPlane.Subscriptions;

public sealed record SubscriptionRequest(Guid? ApiId, Guid? ApplicationId, string? Plan);

public sealed record SubscriptionResponse(
    Guid Id, Guid ApiId, Guid ApplicationId, string ApiName, string ApiVersion, string ApiContext,
    string ApplicationName, string ApplicationOwner, string Plan, string Status, DateTime CreatedAt);
