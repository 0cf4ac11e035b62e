using Tollgate.Core.Validation;

namespace Tollgate.ControlPlane.Results;

public enum OpErrorKind { Validation, NotFound, Conflict, Forbidden }

/// <summary>Why an operation did not happen, with the field to change when there is one. The REST API maps it to RFC 7807, the portals show it next to the field.</summary>
public sealed record OpError(OpErrorKind Kind, string Message, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public static OpError Validation(ValidationErrors errors, string? message = null) =>
        new(OpErrorKind.Validation,
            message ?? string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))),
            errors.ToDictionary());

    public static OpError Field(string field, string message) => Validation(ValidationErrors.Single(field, message), message);

    public static OpError NotFound(string message) => new(OpErrorKind.NotFound, message);

    public static OpError Conflict(string message, string? field = null) =>
        new(OpErrorKind.Conflict, message, field is null ? null : new Dictionary<string, string[]> { [field] = [message] });

    public static OpError Forbidden(string message) => new(OpErrorKind.Forbidden, message);

    /// <summary>The message for one field, if the error names it.</summary>
    public string? For(string field) => Errors is not null && Errors.TryGetValue(field, out var m) ? string.Join(" ", m) : null;
}

/// <summary>A value, or the reason there is none.</summary>
public readonly record struct OpResult<T>(T? Value, OpError? Error)
{
    public bool Ok => Error is null;

    public static implicit operator OpResult<T>(T value) => new(value, null);
    public static implicit operator OpResult<T>(OpError error) => new(default, error);
}
