using System.Text.RegularExpressions;
using Tollgate.Core.Identity;

namespace Tollgate.Core.Validation;

public static partial class UserValidator
{
    public const int MinPasswordLength = 8;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.@\-]{1,63}$")]
    private static partial Regex UsernamePattern();

    public static ValidationErrors Validate(string? username, string? password, IReadOnlyList<string>? roles)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(username))
            errors.Add("username", "Username is required.");
        else if (!UsernamePattern().IsMatch(username))
            errors.Add("username", "Username must be 2 to 64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit.");
        if (string.IsNullOrEmpty(password))
            errors.Add("password", "Password is required.");
        else if (password.Length < MinPasswordLength)
            errors.Add("password", $"Password is too short: use at least {MinPasswordLength} characters.");
        else if (password.Length > 256)
            errors.Add("password", "Password is too long: keep it to 256 characters.");
        if (roles is not null)
            foreach (var role in roles.Where(r => !Roles.IsKnown(r)))
                errors.Add("roles", $"Unknown role '{role}'. Use: {string.Join(", ", Roles.All)}.");
        return errors;
    }

    public static ValidationErrors ValidateApplicationName(string? name)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(name))
            errors.Add("name", "Application name is required.");
        else if (name.Trim().Length > 70)
            errors.Add("name", "Application name is too long: keep it to 70 characters.");
        return errors;
    }
}
