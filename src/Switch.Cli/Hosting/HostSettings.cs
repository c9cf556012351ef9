using Switch.Common.Configuration;
using Switch.Network.Config;

namespace Switch.Cli.Hosting;

/// <summary>Every area's options, bound and validated from the host's configuration before anything starts.</summary>
public sealed class HostSettings
{
    private HostSettings(HostConfiguration configuration, NetworkConfig network)
    {
        Configuration = configuration;
        Network = network;
    }

    /// <summary>The configuration the settings came from.</summary>
    public HostConfiguration Configuration { get; }

    /// <summary>Listeners and connectors.</summary>
    public NetworkConfig Network { get; }

    /// <summary>Loads <paramref name="path"/> with the process's overrides and binds every section; throws <see cref="ConfigException"/>.</summary>
    public static HostSettings Load(string path, System.Collections.IDictionary environment)
    {
        var configuration = HostConfiguration.Load(path, environment);
        try
        {
            // One line per area: each binds its own section and reports through section.Error.
            var network = NetworkSection.Bind(configuration.Section("network"));
            return new HostSettings(configuration, network);
        }
        catch (ConfigException ex)
        {
            throw configuration.Attribute(ex);
        }
    }

    /// <summary>A one-line summary of what the configuration holds, for --check.</summary>
    public string Summary() => $"network: {Network.Listeners.Count} listeners, {Network.Connectors.Count} connectors";
}
