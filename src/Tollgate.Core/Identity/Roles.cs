namespace Tollgate.Core.Identity;

/// <summary>The roles a user can hold. Admin implies every other role.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Creator = "creator";
    public const string Publisher = "publisher";
    public const string Subscriber = "subscriber";

    public static readonly IReadOnlyList<string> All = [Admin, Creator, Publisher, Subscriber];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
