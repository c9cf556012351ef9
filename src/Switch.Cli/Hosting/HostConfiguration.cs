using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switch.Common.Configuration;
using Switch.Common.IO;

namespace Switch.Cli.Hosting;

/// <summary>
/// The host's configuration: one JSON file (config/switch.json) with a section per area, read once with a size limit,
/// parsed strictly, with environment overrides applied; each area is handed its <see cref="ConfigSection"/>.
/// </summary>
public sealed class HostConfiguration
{
    /// <summary>Largest configuration file read.</summary>
    public const int FileBytesMax = 1024 * 1024;

    /// <summary>Environment variables that override a key start with this: SWITCH__network__listeners__0__port=9000.</summary>
    public const string OverridePrefix = "SWITCH__";

    /// <summary>The sections an area binds; any other top-level key is an error (each area adds its name here).</summary>
    public static readonly IReadOnlyList<string> SectionNames = ["network", "security", "postgres", "journal", "projector", "routing", "iso20022", "core", "admin", "masterData"];

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
        MaxDepth = 64,
    };

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 64,
    };

    private readonly JsonObject _root;

    /// <summary>Full key (network.listeners[0].port) → the variable that set it.</summary>
    private readonly Dictionary<string, string> _overridden;

    private HostConfiguration(string file, JsonObject root, Dictionary<string, string> overridden)
    {
        File = file;
        _root = root;
        _overridden = overridden;
    }

    /// <summary>The configuration file.</summary>
    public string File { get; }

    /// <summary>Keys set by environment overrides, with the variable that set each.</summary>
    public IReadOnlyDictionary<string, string> Overridden => _overridden;

    /// <summary>Reads <paramref name="path"/>, then applies the SWITCH__ variables of <paramref name="environment"/>; throws <see cref="ConfigException"/>.</summary>
    public static HostConfiguration Load(string path, IDictionary environment)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, FileBytesMax);
        }
        catch (BoundedFileException ex)
        {
            throw new ConfigException(path, "(file)", ex.Problem);
        }
        return Parse(text, path, environment);
    }

    /// <summary>Parses configuration text (<paramref name="file"/> names it in errors) and applies the overrides.</summary>
    public static HostConfiguration Parse(string text, string file, IDictionary environment)
    {
        JsonObject root = ParseRoot(text, file);
        foreach (var (name, _) in root)
        {
            if (!SectionNames.Contains(name, StringComparer.Ordinal))
                throw new ConfigException(file, name, $"is not a section of the configuration (known sections: {string.Join(", ", SectionNames)})");
        }
        var overridden = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variable, value) in OverridesOf(environment))
        {
            string key = EnvironmentOverride.Apply(root, variable, value);
            overridden[key] = variable;
        }
        return new HostConfiguration(file, root, overridden);
    }

    /// <summary>A copy of the whole configuration, overrides applied (the demo derives its own configuration from it).</summary>
    public JsonObject ToJsonObject() => (JsonObject)_root.DeepClone();

    /// <summary>True when the file (or an override) holds the section <paramref name="name"/>.</summary>
    public bool Contains(string name) => _root.ContainsKey(name);

    /// <summary>The section <paramref name="name"/> (an empty object when the file has none: the area's defaults apply).</summary>
    public ConfigSection Section(string name)
    {
        if (!SectionNames.Contains(name, StringComparer.Ordinal)) throw new ArgumentException($"'{name}' is not a known section", nameof(name));
        JsonNode? node = _root[name];
        JsonElement json = node is null && !_root.ContainsKey(name)
            ? JsonSerializer.SerializeToElement(new JsonObject())
            : JsonSerializer.SerializeToElement(node);
        return new ConfigSection(File, name, json);
    }

    /// <summary>
    /// The error as the operator should see it: a problem at (or under) a key an environment override set names the
    /// variable instead of the file, since the file does not hold that value.
    /// </summary>
    public ConfigException Attribute(ConfigException ex)
    {
        foreach (var (key, variable) in _overridden)
        {
            if (ex.Key == key || ex.Key.StartsWith(key + ".", StringComparison.Ordinal) || ex.Key.StartsWith(key + "[", StringComparison.Ordinal))
                return new ConfigException(variable, ex.Key, ex.Problem);
        }
        return ex;
    }

    private static JsonObject ParseRoot(string text, string file)
    {
        try
        {
            // One strict pass first: syntax errors and duplicate keys with their line, which the tree parser does not report.
            JsonDuplicateKeys.Check(System.Text.Encoding.UTF8.GetBytes(text), file, ReaderOptions);
            var node = JsonNode.Parse(text, new JsonNodeOptions { PropertyNameCaseInsensitive = false }, DocumentOptions);
            return node as JsonObject ?? throw new ConfigException(file, "(root)", "must be a JSON object of sections, e.g. { \"network\": { ... } }");
        }
        catch (JsonException ex)
        {
            throw new ConfigException(file, Position(ex), Describe(ex));
        }
    }

    /// <summary>"line 3, position 7" (both from 1), where the parser stopped.</summary>
    private static string Position(JsonException ex) =>
        ex.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $"line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}")
            : "(file)";

    /// <summary>The parser's sentence without its own position suffix (the key slot holds the position).</summary>
    private static string Describe(JsonException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        message = message.Trim().TrimEnd('.');
        return $"is not valid JSON: {message}";
    }

    private static IEnumerable<(string Name, string Value)> OverridesOf(IDictionary environment)
    {
        var list = new List<(string, string)>();
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith(OverridePrefix, StringComparison.Ordinal))
                list.Add((name, entry.Value as string ?? ""));
        }
        // Applied in name order so that the outcome does not depend on the environment's order.
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }
}
