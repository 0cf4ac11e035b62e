namespace Tollgate.Core.Validation;

/// <summary>Field-level validation messages, keyed by the JSON path of the field (e.g. <c>endpoint.production</c>).</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    /// <summary>Number of messages over all fields.</summary>
    public int Count => _errors.Values.Sum(l => l.Count);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
            _errors[field] = list = [];
        list.Add(message);
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    public IReadOnlyDictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public static ValidationErrors Single(string field, string message)
    {
        var e = new ValidationErrors();
        e.Add(field, message);
        return e;
    }
}
