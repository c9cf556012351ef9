using System.Text.Json.Nodes;
using Switch.Common.Configuration;
using Switch.Network.Config;

namespace Switch.Cli.Hosting;

/// <summary>
/// Binds the "network" section with what Switch.Network offers on this branch (NetworkConfigLoader on raw JSON).
/// The one place the host adapts to it: once the network area binds its own section
/// (NetworkConfig.FromSection(ConfigSection, SpecRegistry)), this class is replaced by that call.
/// </summary>
internal static class NetworkSection
{
    /// <summary>Limit keys as the file names them (…Max) → as NetworkConfigLoader still reads them.</summary>
    private static readonly Dictionary<string, string> LoaderNames = new(StringComparer.Ordinal)
    {
        ["frameBytesMax"] = "maxFrameBytes",
        ["connectionsMax"] = "maxConnections",
        ["connectionsPerIpMax"] = "maxConnectionsPerIp",
        ["inFlightPerConnectionMax"] = "maxInFlightPerConnection",
    };

    /// <summary>The section bound and validated; errors name the file and the full key.</summary>
    public static NetworkConfig Bind(ConfigSection section)
    {
        JsonNode? json = JsonNode.Parse(section.Json.GetRawText());
        if (json is not JsonObject root) throw section.Error("", "must be an object with \"listeners\" and \"connectors\"");
        Rename(root, "", section);
        try
        {
            return NetworkConfigLoader.Parse(root.ToJsonString(), section.File);
        }
        catch (ConfigException ex)
        {
            string key = ex.Key == "(root)" ? "" : ex.Key;
            foreach (var (name, loaderName) in LoaderNames) key = key.Replace(loaderName, name, StringComparison.Ordinal);
            // The loader's "(line N)" counts lines of the re-serialized section, not of the file.
            string problem = System.Text.RegularExpressions.Regex.Replace(ex.Problem, @" \(line \d+\)$", "");
            throw section.Error(key, problem);
        }
    }

    /// <summary>Renames the …Max keys for the loader; the old max… names are refused as they will be by the network area.</summary>
    private static void Rename(JsonNode node, string key, ConfigSection section)
    {
        if (node is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                if (array[i] is { } item) Rename(item, $"{key}[{i}]", section);
            }
            return;
        }
        if (node is not JsonObject obj) return;
        foreach (string name in obj.Select(p => p.Key).ToList())
        {
            string at = key.Length == 0 ? name : $"{key}.{name}";
            if (LoaderNames.ContainsValue(name)) throw section.Error(at, "is not a known key (limits are named ...Max, e.g. frameBytesMax)");
            JsonNode? child = obj[name];
            if (child is not null) Rename(child, at, section);
            if (!LoaderNames.TryGetValue(name, out string? loaderName)) continue;
            obj.Remove(name);
            obj[loaderName] = child;
        }
    }
}
