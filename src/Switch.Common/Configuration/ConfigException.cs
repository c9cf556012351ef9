using Switch.Common.Configuration;
namespace Switch.Common.Configuration;

/// <summary>An invalid configuration: names the file, the key and what is wrong. Every area's validation reports through it.</summary>
public sealed class ConfigException(string file, string key, string problem)
    : Exception($"{file}: {key}: {problem}")
{
    /// <summary>The configuration file (or "environment" for an override).</summary>
    public string File { get; } = file;

    /// <summary>The JSON path of the offending key, e.g. network.listeners[0].port.</summary>
    public string Key { get; } = key;

    /// <summary>What is wrong, as a sentence.</summary>
    public string Problem { get; } = problem;
}
