using System.Net.Sockets;
using Npgsql;
using Serilog;
using Switch.Admin;
using Switch.Admin.Metrics;
using Switch.Admin.Readiness;
using Switch.Core;
using Switch.Core.Authorization;
using Switch.Core.Hosting;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Pipeline;
using Switch.Core.State;
using Switch.Core.Time;
using Switch.Journal;
using Switch.Journal.Pan;
using Switch.Network.Acceptor;
using Switch.Network.Connector;
using Switch.Routing;
using Switch.Routing.Postgres;
using Switch.Security;
using Switch.Security.Configuration;
using Switch.Security.Keys;

namespace Switch.Cli.Hosting;

/// <summary>A start-up step failed in a way the operator must fix (Postgres unreachable, keys missing, a port taken); the message says what.</summary>
public sealed class HostStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The payment switch as `switch run` composes it (docs/core.md): security module and key ring, PAN keys, master data
/// and routes from Postgres (with their LISTEN/NOTIFY reloads), the journal runtime, the state rebuilt by a journal
/// replay, connectors, the on-us authorizer, the issuer gateway, the transaction manager behind every listener, and the
/// admin endpoint. Start-up needs Postgres; once loaded, authorization goes on with Postgres down (F12).
/// Shutdown: stop the listeners (they drain their connections), drain the pipeline, then close the rest in reverse.
/// </summary>
public sealed class SwitchHost : IAsyncDisposable
{
    /// <summary>Longest the start waits for Postgres to give the master data and the routes.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IsoListener> _listeners = [];
    private readonly ILogger _log;
    private TransactionManager? _manager;

    private SwitchHost(ILogger log) => _log = log;

    /// <summary>The listeners (bound).</summary>
    public IReadOnlyList<IsoListener> Listeners => _listeners;

    /// <summary>The admin endpoint, when enabled.</summary>
    public AdminServer? Admin { get; private set; }

    /// <summary>The journal runtime (its mock cluster's bootstrap address, the projected position); set once started.</summary>
    public JournalRuntime? Journal { get; private set; }

    /// <summary>The issuer connectors by name (their sign-on state: the demo waits on it); filled once started.</summary>
    public IReadOnlyDictionary<string, IsoConnector> Connectors => _connectors;

    private readonly Dictionary<string, IsoConnector> _connectors = new(StringComparer.Ordinal);

    /// <summary>Starts everything; on failure what started is closed and a <see cref="HostStartException"/> says why.</summary>
    public static async Task<SwitchHost> StartAsync(HostSettings settings, ILogger log, CancellationToken ct)
    {
        var host = new SwitchHost(log);
        try
        {
            await host.StartCoreAsync(settings, settings.Core!, ct).ConfigureAwait(false);
            return host;
        }
        catch (Exception ex) when (ex is MasterDataException or RoutingException or NpgsqlException or PanKeyException or KeyNotFoundException
            or SecurityInputException or HsmErrorException or SocketException or Switch.Postgres.SchemaMigrationException or IOException)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw new HostStartException(Describe(ex, settings), ex);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Describe(Exception ex, HostSettings settings) => ex switch
    {
        NpgsqlException or SocketException when ex is not SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } =>
            $"Postgres at {settings.Postgres.Describe()} is unreachable ({(ex.InnerException ?? ex).Message.ReplaceLineEndings(" ")}); the switch needs it to start (master data, routes, journal projection)",
        PanKeyException => $"{ex.Message} (run `switch db seed demo` for the demo keys, or import them with `switch keys`)",
        KeyNotFoundException => $"{ex.Message} (run `switch db seed demo` for the demo keys)",
        _ => ex.Message,
    };

    private async Task StartCoreAsync(HostSettings settings, CoreOptions core, CancellationToken ct)
    {
        IClock clock = SystemClock.Instance;
        // Postgres first: without it nothing can start, and that is the first thing an operator should hear.
        var dataSource = settings.Postgres.CreateDataSource();
        _owned.Add(dataSource);
        string where = settings.Postgres.Describe();
        using var loadTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        loadTimeout.CancelAfter(LoadTimeout);
        var masterData = new MasterDataHolder();
        var snapshot = await new PostgresMasterDataSource(dataSource, where, settings.MasterData).LoadAsync(loadTimeout.Token).ConfigureAwait(false);
        masterData.TryPublish(snapshot);
        var masterDataListener = new MasterDataListener(dataSource, masterData, settings.MasterData, _log);
        masterDataListener.Start();
        _owned.Add(masterDataListener);
        // ISO 20022 endpoints are destinations of BIC routes as connectors are of BIN routes.
        var known = new KnownDestinations(settings.Network.Connectors.Select(c => c.Name).Concat(settings.Iso20022.Endpoints.Select(e => e.Name)));
        var routes = new RouteTableHolder();
        routes.TryPublish(await new RouteStore(dataSource, where, settings.Routing).LoadAsync(loadTimeout.Token).ConfigureAwait(false));
        var routeListener = new RouteTableListener(dataSource, routes, settings.Routing, _log, known);
        routeListener.Start();
        _owned.Add(routeListener);
        _log.Information("Master data version {Version}: {Terminals} terminals, {Cards} cards; route table version {RouteVersion}: {Routes} routes",
            snapshot.Version, snapshot.Terminals.Count(), snapshot.Cards.Count(), routes.Current.Version, routes.Current.Routes.Count);

        var module = SecurityModuleFactory.Create(settings.Security, settings.Configuration.Section("security"), name => Environment.GetEnvironmentVariable(name));
        _owned.Add(module);
        var store = SecurityModuleFactory.OpenKeyStore(settings.Security);
        var keys = new KeyRing(module, store);
        PanProtector pan = LoadPanKeys(settings, store);
        _owned.Add(new Disposer(pan.Dispose));

        var journal = await JournalRuntime.StartAsync(settings.Journal, settings.Projector, settings.Postgres, _log, ct).ConfigureAwait(false);
        _owned.Add(journal);
        Journal = journal;
        var metrics = new PrometheusCoreMetrics();
        metrics.SetJournal(journal.Journal);

        var connectors = _connectors;
        foreach (var options in settings.Network.Connectors)
        {
            var connector = new IsoConnector(options, settings.Specs, _log);
            connectors[options.Name] = connector;
            _owned.Add(connector);
            metrics.AddConnector(connector);
        }
        var onUs = new OnUsAuthorizer(core, module, keys, clock, _log);
        _owned.Add(onUs);
        var gateway = new IssuerGateway(core, connectors, module, keys, journal, pan, clock, metrics, _log);
        _owned.Add(gateway);
        var duplicates = new DuplicateMemory(core, clock);
        var live = new CoreState(onUs, gateway, duplicates);
        // The shadow: the same parts fed only by the journal, from which snapshots are taken (never started, never on the hot path).
        CoreState NewShadow() => new(new OnUsAuthorizer(core, module, keys, clock, _log),
            new IssuerGateway(core, connectors, module, keys, journal, pan, clock, metrics, _log), new DuplicateMemory(core, clock));
        await ReplayAsync(settings, dataSource, journal, live, NewShadow, ct).ConfigureAwait(false);
        foreach (var connector in connectors.Values) connector.Start();
        gateway.Start();
        onUs.StartHoldExpiry(journal);

        _manager = CorePipeline.Create(new CoreServices
        {
            Options = core,
            NodeId = settings.Journal.NodeId,
            MasterData = masterData,
            Routes = routes,
            Security = module,
            Keys = keys,
            Pan = pan,
            OnUs = onUs,
            Issuers = gateway,
            Journal = journal,
            Duplicates = duplicates,
            Clock = clock,
            Metrics = metrics,
            Log = _log,
        });
        StartListeners(settings, _manager, metrics);
        await StartIso20022Async(settings, routes, journal, connectors.Values, ct).ConfigureAwait(false);
        await StartAdminAsync(settings, metrics, journal, dataSource, connectors.Values, ct).ConfigureAwait(false);
    }

    /// <summary>The PAN hash and data keys, unwrapped under the LMK (the journal and the master data look-up share them).</summary>
    private static PanProtector LoadPanKeys(HostSettings settings, FileKeyStore store)
    {
        if (!File.Exists(settings.Security.LmkFile))
            throw new PanKeyException($"no LMK file at {settings.Security.LmkFile}: the PAN keys cannot be unwrapped");
        using var lmk = Lmk.LoadFile(settings.Security.LmkFile);
        return PanKeys.Load(store, lmk, settings.Journal.Pan);
    }

    /// <summary>
    /// The state rebuild (docs/core.md "State snapshot"): the newest usable snapshot, then a journal replay from its
    /// position + 1 into the authorizer, the gateway and duplicate detection; then the snapshots start.
    /// </summary>
    private async Task ReplayAsync(HostSettings settings, NpgsqlDataSource dataSource, JournalRuntime journal, CoreState live, Func<CoreState> newShadow, CancellationToken ct)
    {
        var core = settings.Core!;
        var started = System.Diagnostics.Stopwatch.StartNew();
        CoreStateStore? store = null;
        if (core.SnapshotIntervalMs > 0)
        {
            await CoreStateStore.Schema.MigrateAsync(dataSource, ct).ConfigureAwait(false);
            store = new CoreStateStore(dataSource);
        }
        uint node = settings.Journal.NodeId;
        string shape = CoreStateSnapshot.ShapeOf(core, live.OnUs.PartitionCount, settings.Network.Connectors.Select(c => c.Name));
        var rebuilt = await CoreStateSnapshots.RebuildAsync(live, newShadow, journal, store, node, shape, journal.Journal.Spool.DurableThrough, _log, ct).ConfigureAwait(false);
        _log.Information("State rebuilt from {Count} journal records from sequence {From} (snapshot: {Snapshot}) in {Ms} ms ({Duplicates} duplicate-detection entries)",
            rebuilt.Replayed, rebuilt.ReplayedFrom, rebuilt.SnapshotSequence is { } at ? $"at sequence {at}" : "none", started.ElapsedMilliseconds, live.Duplicates.Count);
        if (store is null)
        {
            await rebuilt.Shadow.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var snapshots = new CoreStateSnapshots(rebuilt.Shadow, journal, store, node, shape, core.SnapshotIntervalMs, rebuilt.SnapshotSequence ?? 0, _log);
        snapshots.Start();
        _owned.Add(snapshots);
    }

    private void StartListeners(HostSettings settings, TransactionManager manager, PrometheusCoreMetrics metrics)
    {
        foreach (var options in settings.Network.Listeners)
        {
            var listener = new IsoListener(options, settings.Specs, manager, _log);
            try
            {
                listener.Start();
            }
            catch (SocketException ex)
            {
                throw new HostStartException($"listener {options.Name} on {options.Bind}:{options.Port}: {ex.Message}", ex);
            }
            _listeners.Add(listener);
            metrics.AddListener(listener);
        }
    }

    /// <summary>
    /// ISO 20022 over TCP and HTTP when the "iso20022" section names listeners or an HTTP endpoint: one router over the
    /// same route table (BIC and member-id routes) and journal, reaching 20022 endpoints and, through translation, the
    /// ISO 8583 connectors.
    /// </summary>
    private async Task StartIso20022Async(HostSettings settings, RouteTableHolder routes, JournalRuntime journal, IEnumerable<IsoConnector> connectors, CancellationToken ct)
    {
        var options = settings.Iso20022;
        if (options.Listeners.Count == 0 && options.Http is null) return;
        var reader = new Switch.Iso20022.Iso20022Reader(Switch.Iso20022.SchemaCatalog.BuiltIn, options);
        var endpoints = Switch.Iso20022.Network.Iso20022Endpoints.Create(options, reader);
        foreach (var endpoint in endpoints) _owned.Add(endpoint);
        var timeout = TimeSpan.FromMilliseconds(options.Router.Iso8583TimeoutMs);
        var gateways = connectors.Select(c => (Switch.Iso20022.Network.IIso8583Gateway)new Switch.Iso20022.Network.IsoConnectorGateway(c, timeout)).ToList();
        var router = new Switch.Iso20022.Network.Iso20022Router(routes, journal, reader, endpoints, gateways, TimeProvider.System, _log);
        foreach (var listenerOptions in options.Listeners)
        {
            var listener = new Switch.Iso20022.Network.Iso20022TcpListener(listenerOptions, reader, router, _log);
            _owned.Add(listener);
            listener.Start();
        }
        if (options.Http is { } http)
        {
            var server = new Switch.Iso20022.Network.Iso20022HttpServer(http, reader, router, _log);
            _owned.Add(server);
            await server.StartAsync(ct).ConfigureAwait(false);
        }
        _log.Information("ISO 20022: {Listeners} TCP listeners, HTTP {Http}, {Destinations} destinations", options.Listeners.Count,
            options.Http is null ? "off" : "on", router.DestinationNames.Count);
    }

    private async Task StartAdminAsync(HostSettings settings, PrometheusCoreMetrics metrics, JournalRuntime journal, NpgsqlDataSource dataSource,
        IEnumerable<IsoConnector> connectors, CancellationToken ct)
    {
        if (!settings.Admin.Enabled) return;
        var checks = new List<IReadinessCheck>();
        checks.AddRange(_listeners.Select(ReadinessChecks.ForListener));
        checks.AddRange(connectors.Select(ReadinessChecks.ForConnector));
        checks.Add(ReadinessChecks.ForJournal(journal.Journal));
        checks.Add(ReadinessChecks.ForPostgres(dataSource, settings.Admin));
        Admin = new AdminServer(settings.Admin, checks, metrics, _log);
        _owned.Add(Admin);
        try
        {
            await Admin.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new HostStartException($"admin endpoint on {settings.Admin.Bind}:{settings.Admin.Port}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Graceful shutdown: the listeners stop reading and answer what they hold (their drain deadline), the pipeline
    /// drains, then the gateway, the authorizer, the connectors, the journal and the rest close in reverse order.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_listeners.Select(l => l.StopAsync(CancellationToken.None))).ConfigureAwait(false);
        if (_manager is not null) await _manager.DrainAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        foreach (var listener in _listeners) await listener.DisposeAsync().ConfigureAwait(false);
        _listeners.Clear();
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Shutdown goes on: one part failing to close must not keep the journal or the rest open.
                _log.Warning("Shutdown: closing {Part} failed: {Error}", _owned[i].GetType().Name, ex.Message);
            }
        }
        _owned.Clear();
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
