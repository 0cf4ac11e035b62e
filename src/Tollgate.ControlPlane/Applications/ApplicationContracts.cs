namespace Tollgate.ControlPlane.Applications;

/// <param name="ThrottlingPolicy">A plan whose limits apply to all the application's subscriptions together; "" or "Unlimited" for none.</param>
public sealed record ApplicationRequest(string? Name, string? Description, string? ThrottlingPolicy = null);

public sealed record ApplicationResponse(Guid Id, string Name, string Description, string Owner, DateTime CreatedAt, string ThrottlingPolicy);

public sealed record KeyRequest(string? KeyType);

public sealed record KeyResponse(string KeyType, string ConsumerKey, DateTime CreatedAt);

/// <summary>Shown once, when keys are generated or the secret regenerated.</summary>
public sealed record KeyWithSecretResponse(string KeyType, string ConsumerKey, string ConsumerSecret);

public sealed record TokenRequest(int? ValiditySeconds);

/// <summary>Who is acting: the portals and the REST API both pass the signed-in user.</summary>
public sealed record Actor(string UserName, bool IsAdmin);
