using Microsoft.AspNetCore.Mvc;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Validation;

namespace Tollgate.Server.Problems;

/// <summary>RFC 7807 answers with a field-level message that says what to change.</summary>
internal static class Problem
{
    public static IResult From(OpError error) => error.Kind switch
    {
        OpErrorKind.Validation => Make(400, "The request has invalid fields.", error.Message, "validation", error.Errors),
        OpErrorKind.NotFound => Make(404, "Not found.", error.Message, "not-found", error.Errors),
        OpErrorKind.Conflict => Make(409, "Conflict.", error.Message, "conflict", error.Errors),
        _ => Make(403, "Forbidden.", error.Message, "forbidden", error.Errors),
    };

    /// <summary>The value as 200 (or what <paramref name="onValue"/> makes of it), or the error as a problem.</summary>
    public static IResult Or<T>(this OpResult<T> result, Func<T, IResult>? onValue = null) =>
        result.Error is { } error ? From(error) : onValue is null ? Results.Ok(result.Value) : onValue(result.Value!);

    public static IResult Validation(ValidationErrors errors) => From(OpError.Validation(errors));

    public static IResult Field(string field, string message) => From(OpError.Field(field, message));

    public static IResult NotFound(string detail) => From(OpError.NotFound(detail));

    public static IResult Forbidden(string detail) => From(OpError.Forbidden(detail));

    private static IResult Make(int status, string title, string detail, string type, IReadOnlyDictionary<string, string[]>? errors)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://tollgate.dev/problems/{type}" };
        if (errors is not null)
            problem.Extensions["errors"] = errors;
        return Results.Problem(problem);
    }
}
