using System.Text.RegularExpressions;
using Tollgate.Core.Apis;

namespace Tollgate.Core.Validation;

/// <summary>The rules an API definition must satisfy. Uniqueness needs the store and is checked there.</summary>
public static partial class ApiValidator
{
    public const int MaxNameLength = 60;
    public const int MaxContextLength = 200;
    public const int MaxVersionLength = 30;
    public const int MaxDescriptionLength = 2000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 30;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(/[A-Za-z0-9_.\-~]+)+$")]
    private static partial Regex ContextPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex VersionPattern();

    /// <summary>Trims a context and drops trailing slashes so "/echo/" and "/echo" are one context.</summary>
    public static string? NormalizeContext(string? context) =>
        context is null ? null : context.Trim().TrimEnd('/') is { Length: > 0 } c ? c : context.Trim();

    public static ValidationErrors Validate(ApiDraft draft, IReadOnlyCollection<string> knownPlans)
    {
        var errors = new ValidationErrors();
        ValidateName(draft.Name, errors);
        ValidateContext(NormalizeContext(draft.Context), errors);
        ValidateVersion(draft.Version, errors);
        ValidateEndpoint("endpoint.production", draft.ProductionEndpoint, errors);
        ValidateEndpoint("endpoint.sandbox", draft.SandboxEndpoint, errors);
        ValidatePlans(draft.Plans, knownPlans, errors);
        if (draft.Description is { Length: > MaxDescriptionLength })
            errors.Add("description", $"Description is too long: keep it to {MaxDescriptionLength} characters.");
        ValidateTags(draft.Tags, errors);
        return errors;
    }

    /// <summary>The seed's CREATE &amp; PUBLISH rule: publishing needs a production endpoint and at least one plan.</summary>
    public static ValidationErrors ValidateForPublish(string? productionEndpoint, IReadOnlyList<string>? plans)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(productionEndpoint))
            errors.Add("endpoint.production", "Set a production endpoint (ws:// or wss://) before publishing.");
        if (plans is null || plans.Count == 0)
            errors.Add("plans", "Choose at least one business plan before publishing.");
        return errors;
    }

    private static void ValidateName(string? name, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(name))
            errors.Add("name", "Name is required.");
        else if (name.Trim().Length > MaxNameLength)
            errors.Add("name", $"Name is too long: keep it to {MaxNameLength} characters.");
        else if (!NamePattern().IsMatch(name.Trim()))
            errors.Add("name", "Name may contain letters, digits, spaces, '-', '_' and '.', and must start with a letter or digit.");
    }

    private static void ValidateContext(string? context, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(context))
            errors.Add("context", "Context is required, e.g. /echowebsocket.");
        else if (!context.StartsWith('/'))
            errors.Add("context", $"Context must start with '/': use /{context}.");
        else if (context.Any(char.IsWhiteSpace))
            errors.Add("context", "Context must not contain spaces.");
        else if (context.IndexOfAny(['{', '}']) >= 0)
            errors.Add("context", "Context must not contain '{' or '}'.");
        else if (context.Length > MaxContextLength)
            errors.Add("context", $"Context is too long: keep it to {MaxContextLength} characters.");
        else if (!ContextPattern().IsMatch(context))
            errors.Add("context", "Context may contain only letters, digits, '-', '_', '.', '~' and single '/' between segments, e.g. /echowebsocket.");
    }

    private static void ValidateVersion(string? version, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(version))
            errors.Add("version", "Version is required, e.g. 1.0.0.");
        else if (version.Trim().Length > MaxVersionLength)
            errors.Add("version", $"Version is too long: keep it to {MaxVersionLength} characters.");
        else if (!VersionPattern().IsMatch(version.Trim()))
            errors.Add("version", "Version may contain only letters, digits, '.', '-' and '_', e.g. 1.0.0.");
    }

    /// <summary>An endpoint is optional, but when given it must be an absolute ws:// or wss:// URL.</summary>
    public static void ValidateEndpoint(string field, string? endpoint, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
            return;
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri))
            errors.Add(field, $"'{endpoint}' is not an absolute URL: use ws://host:port/path or wss://host:port/path.");
        else if (uri.Scheme is not ("ws" or "wss"))
            errors.Add(field, $"The endpoint must use ws:// or wss://, not {uri.Scheme}://.");
        else if (string.IsNullOrEmpty(uri.Host))
            errors.Add(field, "The endpoint needs a host name, e.g. ws://localhost:9098/echo.");
        else if (!string.IsNullOrEmpty(uri.Fragment))
            errors.Add(field, "The endpoint must not contain a '#' fragment.");
        else if (!string.IsNullOrEmpty(uri.UserInfo))
            errors.Add(field, "The endpoint must not contain a user name or password.");
    }

    private static void ValidatePlans(IReadOnlyList<string>? plans, IReadOnlyCollection<string> knownPlans, ValidationErrors errors)
    {
        if (plans is null)
            return;
        foreach (var plan in plans)
        {
            if (string.IsNullOrWhiteSpace(plan))
                errors.Add("plans", "Plan names must not be empty.");
            else if (!knownPlans.Contains(plan, StringComparer.OrdinalIgnoreCase))
                errors.Add("plans", $"There is no plan named '{plan}'. Choose from: {string.Join(", ", knownPlans)}.");
        }
        if (plans.Distinct(StringComparer.OrdinalIgnoreCase).Count() != plans.Count)
            errors.Add("plans", "Each plan may be listed only once.");
    }

    private static void ValidateTags(IReadOnlyList<string>? tags, ValidationErrors errors)
    {
        if (tags is null)
            return;
        if (tags.Count > MaxTags)
            errors.Add("tags", $"Too many tags: keep it to {MaxTags}.");
        foreach (var tag in tags)
        {
            if (string.IsNullOrWhiteSpace(tag))
                errors.Add("tags", "Tags must not be empty.");
            else if (tag.Length > MaxTagLength)
                errors.Add("tags", $"Tag '{tag}' is too long: keep each tag to {MaxTagLength} characters.");
        }
    }
}
