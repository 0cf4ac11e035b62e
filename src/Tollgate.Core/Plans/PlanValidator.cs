using System.Text.RegularExpressions;
using Tollgate.Core.Validation;

namespace Tollgate.Core.Plans;

/// <summary>The rules of plans and API throttling, with a message per field that says what to change.</summary>
public static partial class PlanValidator
{
    public const int MaxNameLength = 40;
    public const int MaxDescriptionLength = 500;
    public const int MaxLimits = 5;
    /// <summary>Keeps rate arithmetic exact (nanosecond spacing) and quotas far from overflow.</summary>
    public const long MaxAmount = 1_000_000_000_000;
    public const int MaxConnectionsCeiling = 1_000_000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex NamePattern();

    public static (BusinessPlan? Plan, ValidationErrors Errors) Validate(PlanDto dto)
    {
        var errors = new ValidationErrors();
        var name = dto.Name?.Trim();
        if (string.IsNullOrEmpty(name))
            errors.Add("name", "Name is required, e.g. Tiny.");
        else if (name.Length > MaxNameLength)
            errors.Add("name", $"Name is too long: keep it to {MaxNameLength} characters.");
        else if (!NamePattern().IsMatch(name))
            errors.Add("name", "Name may contain letters, digits, '-', '_' and '.', and must start with a letter or digit (no spaces: it is used in lists).");
        if (dto.Description is { Length: > MaxDescriptionLength })
            errors.Add("description", $"Description is too long: keep it to {MaxDescriptionLength} characters.");
        var policy = ValidatePolicy("", dto.Action, dto.Limits, dto.MaxConnections, "maxConnections", dto.MaxConnectionDuration, dto.Direction, errors);
        if (!errors.IsEmpty)
            return (null, errors);
        return (new BusinessPlan(name!, dto.Description?.Trim() is { Length: > 0 } d ? d : Describe(policy!), policy!), errors);
    }

    public static (ApiThrottling? Throttling, ValidationErrors Errors) ValidateApiThrottling(ApiThrottlingDto? dto, string prefix = "")
    {
        var errors = new ValidationErrors();
        if (dto is null)
            return (ApiThrottling.None, errors);
        var api = ValidatePolicy(prefix, dto.Action, dto.Limits, dto.MaxBackendConnections, "maxBackendConnections", null, dto.Direction, errors);
        var per = dto.PerConnection;
        var connection = per is null
            ? ThrottlePolicy.None
            : ValidatePolicy(prefix + "perConnection.", per.Action, per.Limits, null, "maxConnections", per.MaxConnectionDuration, per.Direction, errors);
        return errors.IsEmpty ? (new ApiThrottling(api!, connection!), errors) : (null, errors);
    }

    /// <summary>A plain-words summary, used as the description when the admin gives none.</summary>
    public static string Describe(ThrottlePolicy policy)
    {
        if (policy.IsUnlimited)
            return "No limit";
        var parts = policy.Limits.Select(l => l.Describe()).ToList();
        if (policy.MaxConnections is { } c)
            parts.Add($"{c} connection{(c == 1 ? "" : "s")}");
        if (policy.MaxConnectionDuration is { } d)
            parts.Add($"connections up to {d.TotalSeconds:0} s");
        return string.Join(", ", parts);
    }

    private static ThrottlePolicy? ValidatePolicy(
        string prefix, string? action, List<LimitDto>? limits, int? maxConnections, string maxConnectionsField,
        long? maxDurationSeconds, string? direction, ValidationErrors errors)
    {
        int before = errors.Count;
        var parsedAction = ThrottleAction.Shape;
        if (!string.IsNullOrWhiteSpace(action) && !TryParse(action, out parsedAction))
            errors.Add(prefix + "action", $"'{action}' is not an action: use shape (slow the sender), drop (drop and count the message) or close (close with 1008).");
        var parsedDirection = CountedDirection.Both;
        if (!string.IsNullOrWhiteSpace(direction) && !TryParse(direction, out parsedDirection))
            errors.Add(prefix + "direction", $"'{direction}' is not a direction: use both (the default), in (client to backend) or out (backend to client).");
        if (maxConnections is < 1 or > MaxConnectionsCeiling)
            errors.Add(prefix + maxConnectionsField, $"{maxConnectionsField} must be between 1 and {MaxConnectionsCeiling:N0}, or left out for no limit.");
        if (maxDurationSeconds is { } s && (s < 1 || s > (long)MaxDuration.TotalSeconds))
            errors.Add(prefix + "maxConnectionDuration", $"maxConnectionDuration is in seconds: between 1 and {(long)MaxDuration.TotalSeconds:N0} (30 days), or left out for no limit.");

        var parsed = new List<PlanLimit>();
        limits ??= [];
        if (limits.Count > MaxLimits)
            errors.Add(prefix + "limits", $"Too many limits: keep it to {MaxLimits}.");
        var seen = new HashSet<LimitPeriod>();
        for (int i = 0; i < limits.Count; i++)
        {
            var field = $"{prefix}limits[{i}]";
            var l = limits[i];
            if (l is null)
            {
                errors.Add(field, "A limit must be an object like {\"events\":60,\"per\":\"minute\"}.");
                continue;
            }
            bool ok = true;
            if (string.IsNullOrWhiteSpace(l.Per))
            {
                errors.Add(field + ".per", "per is required: second or minute (a rate), hour, day or month (a quota).");
                ok = false;
            }
            else if (!TryParse(l.Per, out LimitPeriod per))
            {
                errors.Add(field + ".per", $"'{l.Per}' is not a window: use second or minute (a rate), hour, day or month (a quota).");
                ok = false;
            }
            else if (!seen.Add(per))
            {
                errors.Add(field + ".per", $"There is already a limit per {l.Per.Trim().ToLowerInvariant()}: put events and bytes in one limit.");
                ok = false;
            }
            if (l.Events is null && l.Bytes is null)
            {
                errors.Add(field, "A limit needs events, bytes or both, e.g. {\"events\":60,\"per\":\"minute\"}.");
                ok = false;
            }
            if (l.Events is { } e && (e < 1 || e > MaxAmount))
            {
                errors.Add(field + ".events", $"events must be between 1 and {MaxAmount:N0}.");
                ok = false;
            }
            if (l.Bytes is { } b && (b < 1 || b > MaxAmount))
            {
                errors.Add(field + ".bytes", $"bytes must be between 1 and {MaxAmount:N0}.");
                ok = false;
            }
            if (l.Burst is { } burst)
            {
                if (burst < 1 || burst > MaxAmount)
                {
                    errors.Add(field + ".burst", $"burst must be between 1 and {MaxAmount:N0}.");
                    ok = false;
                }
                else if (ok && TryParse(l.Per!, out LimitPeriod p) && p is not (LimitPeriod.Second or LimitPeriod.Minute))
                {
                    errors.Add(field + ".burst", "burst applies to rates only (per second or minute); a quota has none.");
                    ok = false;
                }
            }
            if (ok)
                parsed.Add(new PlanLimit(l.Events, Enum.Parse<LimitPeriod>(l.Per!.Trim(), ignoreCase: true), l.Bytes, l.Burst));
        }
        if (errors.Count != before)
            return null;
        return new ThrottlePolicy(parsedAction, parsed.OrderBy(p => p.Per).ToArray(), maxConnections,
            maxDurationSeconds is { } sec ? TimeSpan.FromSeconds(sec) : null, parsedDirection);
    }

    private static bool TryParse<T>(string text, out T value) where T : struct, Enum =>
        Enum.TryParse(text.Trim(), ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text.Trim(), out _);
}
