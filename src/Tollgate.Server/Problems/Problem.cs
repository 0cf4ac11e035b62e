using Tollgate.Core.Validation;

namespace Tollgate.Server.Problems;

/// <summary>RFC 7807 answers with a field-level message that says what to change.</summary>
internal static class Problem
{
    public static IResult Validation(ValidationErrors errors, string? detail = null) =>
        Results.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = 400,
            Title = "The request has invalid fields.",
            Detail = detail ?? string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))),
            Type = "https://tollgate.dev/problems/validation",
            Extensions = { ["errors"] = errors.ToDictionary() },
        });

    public static IResult Field(string field, string message) => Validation(ValidationErrors.Single(field, message));

    public static IResult NotFound(string detail) => Make(404, "Not found.", detail, "not-found");

    public static IResult Conflict(string detail, string? field = null) =>
        field is null
            ? Make(409, "Conflict.", detail, "conflict")
            : Results.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = 409,
                Title = "Conflict.",
                Detail = detail,
                Type = "https://tollgate.dev/problems/conflict",
                Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } },
            });

    public static IResult Forbidden(string detail) => Make(403, "Forbidden.", detail, "forbidden");

    private static IResult Make(int status, string title, string detail, string type) =>
        Results.Problem(title: title, detail: detail, statusCode: status, type: $"https://tollgate.dev/problems/{type}");
}
