using Switch.Common.Configuration;
using Switch.Iso8583.Spec;
using Switch.Network.Config;

namespace Switch.Cli.Hosting;

/// <summary>Every area's options, bound and validated from the host's configuration before anything starts.</summary>
public sealed class HostSettings
{
    private HostSettings(HostConfiguration configuration, SpecRegistry specs, NetworkConfig network)
    {
        Configuration = configuration;
        Specs = specs;
        Network = network;
    }

    /// <summary>The one spec registry every listener, connector and the pipeline share.</summary>
    public SpecRegistry Specs { get; }

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
            var specs = new SpecRegistry();
            var network = NetworkConfig.FromSection(configuration.Section("network"), specs);
            return new HostSettings(configuration, specs, network);
        }
        catch (ConfigException ex)
        {
            throw configuration.Attribute(ex);
        }
    }

    /// <summary>A one-line summary of what the configuration holds, for --check.</summary>
    public string Summary() => $"network: {Network.Listeners.Count} listeners, {Network.Connectors.Count} connectors";
}
