using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Cli.Infrastructure;

internal static class Json
{
    /// <summary>Indented, and without escaping quotes or non-ASCII (so a wscat line stays readable).</summary>
    public static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Format(JsonNode? node) => node?.ToJsonString(Pretty) ?? "null";

    /// <summary>Reads a property as text whatever its JSON type; null when missing or JSON null.</summary>
    public static string? Str(this JsonNode? node, string property)
    {
        if (node is not JsonObject obj || !obj.TryGetPropertyValue(property, out var value) || value is null)
        {
            return null;
        }

        return value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();
    }

    public static IEnumerable<JsonNode> Items(this JsonNode? listAnswer) =>
        (listAnswer?["items"] as JsonArray ?? (listAnswer as JsonArray) ?? []).OfType<JsonNode>();

    public static string Join(this JsonNode? node, string property) =>
        node?[property] is JsonArray array ? string.Join(",", array.Select(x => x?.ToString())) : "";
}
