using Switch.Admin;
using Switch.Common.Configuration;
using Switch.Core;
using Switch.Core.MasterData.Postgres;
using Switch.Iso8583.Spec;
using Switch.Journal;
using Switch.Journal.Projection;
using Switch.Network.Config;
using Switch.Postgres;
using Switch.Routing;
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

    /// <summary>
    /// The "core" section: present means `switch run` is the payment switch (pipeline, master data, journal, admin);
    /// absent means a network front end only (08xx answered, card requests declined 91), as before issue 17.
    /// </summary>
    public CoreOptions? Core { get; private init; }

    /// <summary>The admin endpoint.</summary>
    public AdminOptions Admin { get; private init; } = AdminOptions.Default;

    /// <summary>The database.</summary>
    public PostgresOptions Postgres { get; private init; } = PostgresOptions.Development;

    /// <summary>The journal.</summary>
    public JournalOptions Journal { get; private init; } = new();

    /// <summary>The Postgres projection's consumer.</summary>
    public ProjectorOptions Projector { get; private init; } = new();

    /// <summary>Route store limits and reload.</summary>
    public RoutingOptions Routing { get; private init; } = new();

    /// <summary>Master data limits and reload.</summary>
    public MasterDataOptions MasterData { get; private init; } = new();

    /// <summary>ISO 20022 transports, endpoints and router limits (the "iso20022" section; defaults when absent: no 20022 listener).</summary>
    public Switch.Iso20022.Iso20022Options Iso20022 { get; private init; } = new();

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
            CoreOptions? core = configuration.Contains("core") ? CoreOptions.FromSection(configuration.Section("core")) : null;
            if (core is not null)
                Switch.Core.Pipeline.AcquirerPeers.RequireListeners(configuration.Section("core"), core.Acquirers, network.Listeners.Select(l => l.Name));
            return new HostSettings(configuration, specs, network, security)
            {
                Core = core,
                Admin = configuration.Contains("admin") ? AdminOptions.FromSection(configuration.Section("admin")) : AdminOptions.Default,
                Postgres = configuration.Contains("postgres") ? PostgresOptions.FromSection(configuration.Section("postgres")) : PostgresOptions.Development,
                Journal = configuration.Contains("journal") ? JournalOptions.Bind(configuration.Section("journal")) : new JournalOptions(),
                Projector = configuration.Contains("projector") ? ProjectorOptions.FromSection(configuration.Section("projector")) : new ProjectorOptions(),
                Routing = configuration.Contains("routing") ? RoutingOptions.FromSection(configuration.Section("routing")) : new RoutingOptions(),
                MasterData = configuration.Contains("masterData") ? MasterDataOptions.FromSection(configuration.Section("masterData")) : new MasterDataOptions(),
                Iso20022 = configuration.Contains("iso20022") ? Switch.Iso20022.Iso20022Options.FromSection(configuration.Section("iso20022")) : new Switch.Iso20022.Iso20022Options(),
            };
        }
        catch (ConfigException ex)
        {
            throw configuration.Attribute(ex);
        }
    }

    /// <summary>A one-line summary of what the configuration holds, for --check.</summary>
    public string Summary() =>
        $"network: {Network.Listeners.Count} listeners, {Network.Connectors.Count} connectors; security: {Security.Backend}; "
        + (Core is { } core ? $"core: institution {core.InstitutionId}; admin: {(Admin.Enabled ? $"{Admin.Bind}:{Admin.Port}" : "off")}" : "core: none (network management only)");
}
