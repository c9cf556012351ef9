using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serilog;
using Switch.Cli.Commands;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;
using Switch.Core.MasterData;
using Switch.Network.Connector;
using Switch.Routing;
using Switch.Routing.Postgres;
using Switch.Security.Keys;
using Switch.Simulators.Card;
using Switch.Simulators.Hsm;

namespace Switch.Cli.Demo;

/// <summary>The loopback ports the demo serves on.</summary>
internal sealed record DemoPorts(int Terminals, int Issuer, int Admin, int Iso20022Tcp, int Iso20022Http);

/// <summary>
/// The embedded environment of `switch demo`, all in this process: Postgres checked (and started through
/// install/postgres.sh when it is down), the demo data set reset (`db seed demo --reset`'s code), the issuer simulator,
/// optionally the payShield simulator, and the switch itself (<see cref="SwitchHost"/>, as `switch run` composes it)
/// with the journal on librdkafka's mock cluster. Disposing stops all of it.
/// </summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    /// <summary>The route the ISO 20022 step uses: the creditor agent's member id to the issuer simulator.</summary>
    public const string Iso20022RouteName = "demo-iso20022";

    /// <summary>The creditor agent's clearing-system member id of the demo pacs.008 (a public FedNow sample's).</summary>
    public const string Iso20022MemberId = "091000019";

    /// <summary>
    /// TEST KEY (public, as every key of docs/demo.md): the IMK-AC the demo's chip card and the issuer simulator share,
    /// so the issuer can verify the ARQC in DE 55. No card of the data set has chip keys; this one is the demo's own.
    /// </summary>
    public const string EmvImkAc = "9E15204313F7318ACB79B90BD986AD29";

    /// <summary>How long the issuer connector may take to sign on (start, or the issuer simulator back).</summary>
    public static readonly TimeSpan SignOnTimeout = TimeSpan.FromSeconds(20);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private Serilog.Core.Logger? _log;
    private PayShieldSimulator? _hsm;
    private Lmk? _hsmLmk;

    private DemoEnvironment(DemoOptions options, DemoPorts ports, string stateDirectory)
    {
        Options = options;
        Ports = ports;
        ConfigPath = Path.Combine(stateDirectory, "demo-switch.json");
        LogPath = Path.Combine(stateDirectory, "demo-switch.log");
    }

    /// <summary>What was asked for.</summary>
    public DemoOptions Options { get; }

    /// <summary>The ports in use.</summary>
    public DemoPorts Ports { get; }

    /// <summary>The configuration the demo derived and runs (its ports, fast store-and-forward retries); the verbs take it with --config.</summary>
    public string ConfigPath { get; }

    /// <summary>The switch's own log (the narrative is on stdout; the switch's structured log goes here).</summary>
    public string LogPath { get; }

    /// <summary>The running switch.</summary>
    public SwitchHost Host { get; private set; } = null!;

    /// <summary>The settings the switch runs on.</summary>
    public HostSettings Settings { get; private set; } = null!;

    /// <summary>The issuer simulator behind the issuer-sim connector (replaced when the scenario stops and restarts it).</summary>
    public IssuerSimulator Issuer { get; private set; } = null!;

    /// <summary>The issuer connector of the demo data set.</summary>
    public IsoConnector IssuerConnector => Host.Connectors[DemoDataSet.All.IssuerConnector];

    /// <summary>The issuer simulator's normal rules: approve, verify PINs under its ZPK and chip cryptograms under the demo IMK.</summary>
    public static IssuerRules NormalRules() => new() { EmvImk = EmvImkAc };

    /// <summary>Brings everything up in order; on failure whatever started is stopped and a <see cref="CliException"/> says why.</summary>
    public static async Task<DemoEnvironment> StartAsync(DemoOptions options, TextWriter output, CancellationToken ct)
    {
        string basePath = options.ConfigPath ?? RunCommand.DefaultConfigPath;
        var (baseSettings, root) = LoadBase(basePath);
        if (baseSettings.Core is null) throw new CliException($"{basePath}: the demo needs the payment switch: the configuration has no \"core\" section");
        var ports = options.AutoPorts ? AutoPorts() : DefaultPorts(root, basePath);
        OtherListeners(root, options.AutoPorts);
        string state = Path.GetDirectoryName(Path.GetFullPath(baseSettings.Journal.Spool.Directory)) ?? Directory.GetCurrentDirectory();
        Directory.CreateDirectory(state);
        var environment = new DemoEnvironment(options, ports, state);
        try
        {
            await environment.StartCoreAsync(root, baseSettings, output, ct).ConfigureAwait(false);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(JsonObject root, HostSettings baseSettings, TextWriter output, CancellationToken ct)
    {
        output.WriteLine("Switch demo: the payment switch on the demo data set (TEST DATA ONLY: docs/demo.md). Card numbers are shown masked.");
        output.WriteLine();
        output.WriteLine("environment");
        Shape(root, Ports);
        WriteConfig(root);
        await DemoPostgres.EnsureAsync(baseSettings.Postgres, output, ct).ConfigureAwait(false);
        output.WriteLine($"  postgres:    {baseSettings.Postgres.Describe()} (answering)");
        var seeded = await DbSeedCommand.SeedAsync(ConfigPath, reset: true, DemoLoad.GeneratedCards, ct).ConfigureAwait(false);
        output.WriteLine($"  data set:    reset by `db seed demo --reset` ({seeded.Count} areas: keys, terminals, profiles, cards, accounts, routes, resets)");
        foreach (string line in seeded) output.WriteLine($"               {line}");
        await EnsureIso20022RouteAsync(baseSettings, output, ct).ConfigureAwait(false);
        if (Options.Hsm == "payshield")
        {
            StartPayShield(baseSettings);
            var security = root["security"] as JsonObject ?? [];
            security["backend"] = "payshield";
            security["payShield"] = new JsonObject { ["endpoints"] = new JsonArray($"127.0.0.1:{_hsm!.Port}") };
            root["security"] = security;
            WriteConfig(root);
            output.WriteLine($"  hsm:         payShield simulator on 127.0.0.1:{_hsm.Port} (in process, the key store's LMK); the switch uses the payShield host protocol");
        }
        else
        {
            output.WriteLine($"  hsm:         software security module over the key store {baseSettings.Security.KeyStorePath}");
        }
        Issuer = await StartIssuerAsync(NormalRules(), ct).ConfigureAwait(false);
        output.Flush();
        Settings = LoadSettings(ConfigPath, new Hashtable());
        await StartSwitchAsync(ct).ConfigureAwait(false);
        foreach (string line in Addresses()) output.WriteLine("  " + line);
        output.Flush();
    }

    /// <summary>The address lines (stable, parseable: tests read the ports from them).</summary>
    public IEnumerable<string> Addresses()
    {
        yield return $"terminals:   127.0.0.1:{Ports.Terminals} (ISO 8583:1987 binary, 2-byte length; TERM0001 and ATM00001 with MAC, TERM0002 without)";
        yield return $"iso20022:    tcp 127.0.0.1:{Ports.Iso20022Tcp}, http http://127.0.0.1:{Ports.Iso20022Http}/iso20022";
        yield return $"admin:       http://127.0.0.1:{Ports.Admin}/health/ready and /metrics";
        yield return $"issuer sim:  127.0.0.1:{Ports.Issuer} (in process; BIN {DemoDataSet.All.RemoteBin} and ISO 20022 member id {Iso20022MemberId} route to it)";
        yield return $"kafka:       {Host.Journal?.Journal.BootstrapServers} (librdkafka mock cluster, in process)";
        yield return $"config:      {ConfigPath}";
        yield return $"switch log:  {LogPath}";
    }

    /// <summary>Commands to explore a running demo with (--serve).</summary>
    public IEnumerable<string> ExploreCommands()
    {
        string target = $"--target 127.0.0.1:{Ports.Terminals}";
        yield return $"./switch sim pos --card A --amount 1000 {target}              # on-us purchase: 00";
        yield return $"./switch sim pos --card R --amount 1000 {target}              # remote issuer (the issuer sim): 00";
        yield return $"./switch sim atm --card A --amount 2000 --balance-after {target}  # ATM00001: withdrawal, then DE 54";
        yield return $"./switch journal find --since 10m --config {ConfigPath}";
        yield return $"./switch journal verify --config {ConfigPath}";
        yield return $"curl -s http://127.0.0.1:{Ports.Admin}/health/ready";
    }

    private async Task StartSwitchAsync(CancellationToken ct)
    {
        if (File.Exists(LogPath)) File.Delete(LogPath);
        _log = new LoggerConfiguration().MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .WriteTo.File(LogPath, outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        try
        {
            Host = await SwitchHost.StartAsync(Settings, _log, ct).ConfigureAwait(false);
        }
        catch (HostStartException ex)
        {
            throw new CliException($"cannot start the switch: {ex.Message}");
        }
        catch (ConfigException ex)
        {
            throw new CliException(Settings.Configuration.Attribute(ex).Message);
        }
        if (!await IssuerConnector.WaitUsableAsync(SignOnTimeout, ct).ConfigureAwait(false))
            throw new CliException($"the issuer connector did not sign on to the issuer simulator on 127.0.0.1:{Ports.Issuer} within {SignOnTimeout.TotalSeconds:0} s (see {LogPath})");
    }

    /// <summary>Starts an issuer simulator on the issuer port (the connector reconnects to it by itself).</summary>
    public async Task<IssuerSimulator> StartIssuerAsync(IssuerRules rules, CancellationToken ct)
    {
        var issuer = new IssuerSimulator(new IssuerSimulatorOptions { Port = Ports.Issuer, Rules = rules });
        try
        {
            await issuer.StartAsync(ct).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            await issuer.DisposeAsync().ConfigureAwait(false);
            throw new CliException($"port {Ports.Issuer} (issuer simulator): {ex.Message}{PortHolder.Describe(Ports.Issuer)}");
        }
        return issuer;
    }

    /// <summary>Stops the issuer simulator (the switch sees its issuer go away).</summary>
    public async Task StopIssuerAsync() => await Issuer.DisposeAsync().ConfigureAwait(false);

    /// <summary>Starts the issuer simulator again with its normal rules.</summary>
    public async Task RestartIssuerAsync(CancellationToken ct) => Issuer = await StartIssuerAsync(NormalRules(), ct).ConfigureAwait(false);

    private void StartPayShield(HostSettings settings)
    {
        _hsmLmk = Lmk.LoadFile(settings.Security.LmkFile);
        _hsm = new PayShieldSimulator(_hsmLmk, new PayShieldSimulatorOptions { Port = 0 });
        _hsm.Start();
    }

    /// <summary>The ISO 20022 step's member-id route (added once, through the audited route store as `routes add` does).</summary>
    private static async Task EnsureIso20022RouteAsync(HostSettings settings, TextWriter output, CancellationToken ct)
    {
        await using var dataSource = settings.Postgres.CreateDataSource();
        var store = new RouteStore(dataSource, settings.Postgres.Describe(), settings.Routing);
        var routes = await store.ListAsync(ct).ConfigureAwait(false);
        string destination = DemoDataSet.All.IssuerConnector;
        if (routes.Any(r => r.Route.Name == Iso20022RouteName))
        {
            output.WriteLine($"               routes: {Iso20022RouteName} (member id {Iso20022MemberId} -> {destination}) kept");
            return;
        }
        var route = RouteRules.CreateAgent(Iso20022RouteName, RouteKeyKind.MemberId, Iso20022MemberId, destination);
        await store.AddAsync(route, "switch demo", new KnownDestinations([destination]), ct).ConfigureAwait(false);
        output.WriteLine($"               routes: {Iso20022RouteName} (member id {Iso20022MemberId} -> {destination}) added");
    }

    private static (HostSettings Settings, JsonObject Root) LoadBase(string path)
    {
        var settings = LoadSettings(path, Environment.GetEnvironmentVariables());
        return (settings, settings.Configuration.ToJsonObject());
    }

    private static HostSettings LoadSettings(string path, IDictionary environment)
    {
        try
        {
            return HostSettings.Load(path, environment);
        }
        catch (ConfigException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    private void WriteConfig(JsonObject root) => File.WriteAllText(ConfigPath, root.ToJsonString(Indented) + "\n");

    // ---- ports ----

    private static DemoPorts AutoPorts() => new(FreePort(), FreePort(), FreePort(), FreePort(), FreePort());

    /// <summary>The configuration's own ports; each must be free, or the demo stops with one line naming it and its holder.</summary>
    private static DemoPorts DefaultPorts(JsonObject root, string path)
    {
        var ports = new DemoPorts(
            IntAt(TerminalsListener(root, path), "port", 8583),
            IssuerEndpointPort(IssuerConnectorNode(root, path), path),
            IntAt(root["admin"] as JsonObject, "port", 9102),
            IntAt((root["iso20022"]?["listeners"] as JsonArray)?.FirstOrDefault() as JsonObject, "port", 8620),
            IntAt(root["iso20022"]?["http"] as JsonObject, "port", 8680));
        RequireFree(ports.Terminals, "terminals listener");
        RequireFree(ports.Issuer, "issuer simulator");
        RequireFree(ports.Admin, "admin endpoint");
        RequireFree(ports.Iso20022Tcp, "ISO 20022 TCP listener");
        RequireFree(ports.Iso20022Http, "ISO 20022 HTTP endpoint");
        return ports;
    }

    /// <summary>
    /// Listeners beyond the five the demo names (the acquirers' peer listener, more ISO 20022 listeners): on free ports
    /// with --ports auto, otherwise checked free like the others.
    /// </summary>
    private static void OtherListeners(JsonObject root, bool auto)
    {
        var terminals = TerminalsListener(root, "configuration");
        var others = ((root["network"]?["listeners"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Concat(((root["iso20022"]?["listeners"] as JsonArray)?.OfType<JsonObject>() ?? []).Skip(1))
            .Where(l => !ReferenceEquals(l, terminals));
        foreach (var listener in others)
        {
            if (auto) listener["port"] = FreePort();
            else RequireFree(IntAt(listener, "port", 0), $"listener {listener["name"]?.GetValue<string>() ?? "without a name"}");
        }
    }

    /// <summary>The demo's shape of the configuration: its ports, a quickly reconnecting issuer connector, fast store-and-forward retries.</summary>
    private static void Shape(JsonObject root, DemoPorts ports)
    {
        TerminalsListener(root, "configuration")["port"] = ports.Terminals;
        var connector = IssuerConnectorNode(root, "configuration");
        connector["endpoints"] = new JsonArray($"127.0.0.1:{ports.Issuer}");
        // The stand-in step stops and restarts the issuer simulator: reconnect within half a second, not the default's 5.
        var reconnect = connector["reconnect"] as JsonObject ?? [];
        reconnect["initialDelayMs"] = 100;
        reconnect["delayMsMax"] = 500;
        connector["reconnect"] = reconnect;
        var core = root["core"] as JsonObject ?? [];
        // The reversal and advice steps wait for store-and-forward: repeat after 1 s, not the default's 10.
        core["safFirstRetryMs"] = 1000;
        core["safRetryMaxMs"] = 2000;
        root["core"] = core;
        var admin = root["admin"] as JsonObject ?? new JsonObject { ["bind"] = "127.0.0.1" };
        admin["port"] = ports.Admin;
        root["admin"] = admin;
        var iso = root["iso20022"] as JsonObject ?? [];
        var listeners = iso["listeners"] as JsonArray ?? [];
        if (listeners.Count == 0) listeners.Add(new JsonObject { ["name"] = "iso20022", ["bind"] = "127.0.0.1" });
        listeners[0]!["port"] = ports.Iso20022Tcp;
        iso["listeners"] = listeners;
        var http = iso["http"] as JsonObject ?? new JsonObject { ["bind"] = "127.0.0.1" };
        http["port"] = ports.Iso20022Http;
        iso["http"] = http;
        root["iso20022"] = iso;
    }

    private static JsonObject TerminalsListener(JsonObject root, string path)
    {
        var listeners = root["network"]?["listeners"] as JsonArray;
        return listeners?.OfType<JsonObject>().FirstOrDefault(l => l["name"]?.GetValue<string>() == "terminals")
            ?? listeners?.OfType<JsonObject>().FirstOrDefault()
            ?? throw new CliException($"{path}: network.listeners: the demo needs a terminals listener");
    }

    private static JsonObject IssuerConnectorNode(JsonObject root, string path)
    {
        string name = DemoDataSet.All.IssuerConnector;
        return (root["network"]?["connectors"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["name"]?.GetValue<string>() == name)
            ?? throw new CliException($"{path}: network.connectors: the demo needs the connector {name} (route demo-issuer)");
    }

    private static int IssuerEndpointPort(JsonObject connector, string path)
    {
        string? endpoint = (connector["endpoints"] as JsonArray)?.FirstOrDefault()?.GetValue<string>();
        int colon = endpoint?.LastIndexOf(':') ?? -1;
        if (endpoint is null || colon < 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
            throw new CliException($"{path}: network.connectors[{DemoDataSet.All.IssuerConnector}].endpoints: expected host:port");
        return port;
    }

    private static int IntAt(JsonObject? node, string key, int fallback) =>
        node?[key] is JsonValue v && v.TryGetValue(out int n) ? n : fallback;

    private static void RequireFree(int port, string what)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException)
        {
            throw new CliException($"port {port} ({what}) is in use{PortHolder.Describe(port)}; stop it, or run `switch demo --ports auto`");
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stops the switch (listeners drain, journal flushes), then the simulators, then closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync().ConfigureAwait(false);
        if (Issuer is not null) await Issuer.DisposeAsync().ConfigureAwait(false);
        if (_hsm is not null) await _hsm.DisposeAsync().ConfigureAwait(false);
        _hsmLmk?.Dispose();
        if (_log is not null) await _log.DisposeAsync().ConfigureAwait(false);
    }
}
