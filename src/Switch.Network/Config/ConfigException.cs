namespace Switch.Network.Config;

/// <summary>An invalid configuration: names the file, the key and what is wrong.</summary>
public sealed class ConfigException(string file, string key, string problem)
    : Exception($"{file}: {key}: {problem}")
{
    /// <summary>The configuration file.</summary>
    public string File { get; } = file;

    /// <summary>The JSON path of the offending key, e.g. listeners[0].port.</summary>
    public string Key { get; } = key;

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}
