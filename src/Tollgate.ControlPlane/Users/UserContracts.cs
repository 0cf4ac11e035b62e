namespace Tollgate.ControlPlane.Users;

public sealed record UserRequest(string? Username, string? Password, List<string>? Roles);

public sealed record UserResponse(Guid Id, string Username, string[] Roles, DateTime CreatedAt, bool Disabled = false);

public sealed record SignupRequest(string? Username, string? Password);
