using Switch.Common.Configuration;
using Switch.Iso8583.Spec;
using Switch.Network.Config;
using Switch.Security.Configuration;

namespace Switch.Cli.Hosting;

/// <summary>Every area's options, bound and validated from the host's configuration before anything starts.</summary>
public sealed class HostSettings
{
    private HostSettings(HostConfiguration configuration, SpecRegistry specs, NetworkConfig network, SecurityOptions security)
    {
        Configuration = configuration;
        Specs = specs;
        Network = network;
        Security = security;
    }

    /// <summary>The security module's back end, keys and resilience.</summary>
    public SecurityOptions Security { get; }

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
            var network = NetworkConfig.FromSection(configuration.Section("network"), specs, name => environment[name] as string);
            var security = SecurityOptions.From(configuration.Section("security"));
            return new HostSettings(configuration, specs, network, security);
        }
        catch (ConfigException ex)
        {
            throw configuration.Attribute(ex);
        }
    }

    /// <summary>A one-line summary of what the configuration holds, for --check.</summary>
    public string Summary() => $"network: {Network.Listeners.Count} listeners, {Network.Connectors.Count} connectors; security: {Security.Backend}";
}
