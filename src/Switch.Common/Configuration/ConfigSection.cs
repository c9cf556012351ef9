using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switch.Common.Configuration;

/// <summary>
/// One area's section of the host's configuration file (e.g. "network", "security", "journal"): the JSON of the
/// section (after the host applied environment overrides), the file it came from and its key path. Areas bind it to
/// their options with <see cref="Bind{T}"/> and report problems with <see cref="Error"/>, so every message names the
/// file, the full key and the problem the same way.
/// </summary>
public sealed class ConfigSection
{
    /// <summary>Serializer settings every area shares: camelCase keys, comments allowed, unknown and duplicate keys refused.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>Creates a section; <paramref name="path"/> is its key path in the file ("network").</summary>
    public ConfigSection(string file, string path, JsonElement json)
    {
        File = file;
        Path = path;
        Json = json;
    }

    /// <summary>The configuration file (or "environment" for a value set by an override).</summary>
    public string File { get; }

    /// <summary>The section's key path in the file, e.g. "network".</summary>
    public string Path { get; }

    /// <summary>The section's JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>The full key of <paramref name="key"/> inside this section ("network.listeners[0].port").</summary>
    public string KeyOf(string key) => key.Length == 0 ? Path : Path.Length == 0 ? key : key.StartsWith('[') ? Path + key : $"{Path}.{key}";

    /// <summary>A configuration error at <paramref name="key"/> (relative to the section).</summary>
    public ConfigException Error(string key, string problem) => new(File, KeyOf(key), problem);

    /// <summary>
    /// Binds the section to <typeparamref name="T"/>: unknown keys, duplicate keys, wrong types and a null section are
    /// errors naming the key; validation of values is the area's own.
    /// </summary>
    public T Bind<T>() where T : class
    {
        T? value;
        try
        {
            value = Json.Deserialize<T>(JsonOptions);
        }
        catch (JsonException ex)
        {
            string key = string.IsNullOrEmpty(ex.Path) ? "" : ex.Path.TrimStart('$').TrimStart('.');
            throw Error(key, Describe(ex));
        }
        catch (InvalidOperationException ex)
        {
            throw Error("", $"cannot be read: {ex.Message}");
        }
        return value ?? throw Error("", "is null; expected an object");
    }

    /// <summary>A serializer error in words (the runtime's message names types, not what a person wrote).</summary>
    private static string Describe(JsonException ex)
    {
        string message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal)) return "is not a known key";
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)) return "is given twice";
        if (message.Contains("missing required", StringComparison.OrdinalIgnoreCase)) return "lacks a required key";
        return "has a value of the wrong type or form";
    }
}
