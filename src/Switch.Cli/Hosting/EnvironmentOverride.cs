using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switch.Common.Configuration;

namespace Switch.Cli.Hosting;

/// <summary>
/// One environment override: SWITCH__section__key__0__key=value sets that key. Every key on the way must exist in the
/// file (an array index included); the last may be new in an object (the area then refuses it if it is not one of its
/// options). The value is read as a JSON scalar: a number, true, false, null or a "quoted" string; anything else is
/// taken as text. A key whose file value is a number or boolean must get one; objects and arrays are not replaced.
/// </summary>
internal static class EnvironmentOverride
{
    private const string Separator = "__";

    /// <summary>Applies the override to <paramref name="root"/>; returns the full key it set; errors name the variable.</summary>
    public static string Apply(JsonObject root, string variable, string value)
    {
        string[] segments = variable[HostConfiguration.OverridePrefix.Length..].Split(Separator);
        if (segments.Any(s => s.Length == 0))
            throw Error(variable, variable, $"is not of the form {HostConfiguration.OverridePrefix}section__key__... (an empty key between separators)");
        string section = segments[0];
        if (!HostConfiguration.SectionNames.Contains(section, StringComparer.Ordinal))
            throw Error(variable, section, $"is not a section of the configuration (known sections: {string.Join(", ", HostConfiguration.SectionNames)})");
        if (segments.Length == 1) throw Error(variable, section, "names a whole section; override its keys one by one");
        if (root[section] is null) root[section] = new JsonObject();
        JsonNode node = root[section]!;
        string key = section;
        for (int i = 1; i < segments.Length - 1; i++)
        {
            (node, key) = Step(node, segments[i], key, variable);
        }
        return SetLeaf(node, segments[^1], key, variable, value);
    }

    private static (JsonNode Node, string Key) Step(JsonNode node, string segment, string key, string variable)
    {
        if (node is JsonArray array)
        {
            int index = Index(array, segment, key, variable);
            string at = $"{key}[{index}]";
            return (array[index] ?? throw Error(variable, at, "is null in the file; it has no keys to override"), at);
        }
        if (node is JsonObject obj)
        {
            string at = $"{key}.{segment}";
            if (!obj.TryGetPropertyValue(segment, out JsonNode? child)) throw Error(variable, at, "is not in the configuration file; only keys the file has can hold overridden keys");
            return (child ?? throw Error(variable, at, "is null in the file; it has no keys to override"), at);
        }
        throw Error(variable, key, $"is a value, not an object or array; it has no key '{segment}'");
    }

    private static string SetLeaf(JsonNode node, string segment, string key, string variable, string value)
    {
        if (node is JsonArray array)
        {
            int index = Index(array, segment, key, variable);
            string at = $"{key}[{index}]";
            array[index] = Value(array[index], value, at, variable);
            return at;
        }
        if (node is JsonObject obj)
        {
            string at = $"{key}.{segment}";
            obj.TryGetPropertyValue(segment, out JsonNode? current);
            obj[segment] = Value(current, value, at, variable);
            return at;
        }
        throw Error(variable, key, $"is a value, not an object or array; it has no key '{segment}'");
    }

    private static int Index(JsonArray array, string segment, string key, string variable)
    {
        if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            throw Error(variable, key, $"is a list; '{segment}' is not an index (0..{array.Count - 1})");
        if (index >= array.Count)
            throw Error(variable, $"{key}[{index}]", array.Count == 0 ? "is not in the configuration file (the list is empty)" : $"is not in the configuration file (the list has indexes 0..{array.Count - 1})");
        return index;
    }

    /// <summary>The override's value for a key whose file value is <paramref name="current"/>.</summary>
    private static JsonNode? Value(JsonNode? current, string text, string key, string variable)
    {
        JsonValueKind kind = current?.GetValueKind() ?? JsonValueKind.Null;
        if (kind is JsonValueKind.Object or JsonValueKind.Array)
            throw Error(variable, key, $"is {(kind == JsonValueKind.Object ? "an object" : "a list")} in the file; override the values inside it one by one");
        JsonNode? scalar = Scalar(text, out bool isJson);
        if (scalar is JsonObject or JsonArray)
            throw Error(variable, key, "is given an object or list; an override sets one value (a number, true, false, null or text)");
        if (kind == JsonValueKind.String) return isJson && scalar?.GetValueKind() == JsonValueKind.String ? scalar : JsonValue.Create(text);
        if (kind == JsonValueKind.Number && scalar?.GetValueKind() != JsonValueKind.Number)
            throw Error(variable, key, $"'{text}' is not a number (the file's value is one)");
        if (kind is JsonValueKind.True or JsonValueKind.False && scalar?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw Error(variable, key, $"'{text}' is not true or false (the file's value is one)");
        return isJson ? scalar : JsonValue.Create(text);
    }

    /// <summary>The text as a JSON scalar; <paramref name="isJson"/> is false when it is not JSON (it is then plain text).</summary>
    private static JsonNode? Scalar(string text, out bool isJson)
    {
        isJson = false;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
        isJson = node is not (JsonObject or JsonArray);
        return node;
    }

    private static ConfigException Error(string variable, string key, string problem) => new(variable, key, problem);
}
