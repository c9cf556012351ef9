using System.Collections.Concurrent;
using Prometheus;
using Switch.Core.Metrics;
using Switch.Journal;
using Switch.Network.Acceptor;
using Switch.Network.Connector;

namespace Switch.Admin.Metrics;

/// <summary>
/// The core's metrics in a prometheus-net registry this object owns (not the process-global one), exported on
/// /metrics; plus collect-time gauges for connectors, listeners and the journal. The hot-path calls look up no labels:
/// the (MTI, DE39) children are cached in arrays indexed by the MTI's and the code's characters.
/// </summary>
public sealed class PrometheusCoreMetrics : ICoreMetrics
{
    /// <summary>Latency buckets, in seconds: 0.1 ms to 5 s, about three per decade.</summary>
    public static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>Most distinct label values kept for one label outside the indexed (MTI, DE39) table; past it "other".</summary>
    public const int LabelValuesMax = 256;

    /// <summary>The DE39 label of a transaction dropped without an answer (an empty code).</summary>
    public const string NoResponseCode = "none";

    private const string Other = "other";
    private const int MtiSlots = 10_000;
    private const int RcSlots = 1 + (36 * 36);

    private readonly Counter _transactions;
    private readonly Histogram _latency;
    private readonly Gauge _inFlight;
    private readonly Gauge _safDepth;
    private readonly Counter _duplicates;
    private readonly Counter _late;
    private readonly Gauge _connectorUp;
    private readonly Gauge _connectorSignedOn;
    private readonly Gauge _listenerConnections;
    private readonly Gauge _journalLagMs;
    private readonly Gauge _journalSpoolPosition;
    private readonly Gauge _journalForwardedPosition;
    private readonly Gauge _journalProjectedPosition;
    private readonly Gauge _journalHealth;
    private readonly Counter _networkFramesIn;
    private readonly Counter _networkFramesOut;
    private readonly Counter _networkBytesIn;
    private readonly Counter _networkBytesOut;
    private readonly Counter _networkRefused;
    private readonly Counter _networkMalformed;
    private readonly Counter _networkTimeouts;
    private readonly Counter.Child?[]?[] _byMtiRc = new Counter.Child?[]?[MtiSlots];
    private readonly ConcurrentDictionary<(string Mti, string Rc), Counter.Child> _oddTransactions = new();
    private readonly ConcurrentDictionary<string, Gauge.Child> _safByEndpoint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter.Child> _lateByEndpoint = new(StringComparer.Ordinal);
    private readonly List<IsoConnector> _connectors = [];
    private readonly List<IsoListener> _listeners = [];
    private readonly object _sourcesGate = new();
    private Journal.Journal? _journal;

    /// <summary>Creates the registry and every metric; <paramref name="processMetrics"/> adds process_* and dotnet_* (prometheus-net's DotNetStats).</summary>
    public PrometheusCoreMetrics(bool processMetrics = true)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        if (processMetrics) DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        var none = ExemplarBehavior.NoExemplars();
        _transactions = f.CreateCounter("switch_transactions_total", "Transactions answered (or dropped: rc=\"none\"), by request MTI and DE39.",
            new CounterConfiguration { LabelNames = ["mti", "rc"], ExemplarBehavior = none });
        _latency = f.CreateHistogram("switch_transaction_duration_seconds", "Time from a request's arrival to its answer, on the monotonic clock.",
            new HistogramConfiguration { Buckets = LatencyBuckets, ExemplarBehavior = none });
        _inFlight = f.CreateGauge("switch_transactions_in_flight", "Transactions in the pipeline now.");
        _safDepth = f.CreateGauge("switch_saf_depth", "Entries in the store-and-forward queue of an endpoint.", ["endpoint"]);
        _duplicates = f.CreateCounter("switch_duplicates_answered_total", "Duplicate requests answered from memory (never authorized twice).",
            new CounterConfiguration { ExemplarBehavior = none });
        _late = f.CreateCounter("switch_late_responses_total", "Issuer responses that arrived after the timeout (dropped), by endpoint.",
            new CounterConfiguration { LabelNames = ["endpoint"], ExemplarBehavior = none });
        _connectorUp = f.CreateGauge("switch_connector_up", "1 when at least one connection of the connector is open.", ["connector"]);
        _connectorSignedOn = f.CreateGauge("switch_connector_signed_on", "1 when the connector can carry requests: signed on (or connected, where sign-on is not required).", ["connector"]);
        _listenerConnections = f.CreateGauge("switch_listener_connections", "Connections a listener serves now.", ["listener"]);
        _journalLagMs = f.CreateGauge("switch_journal_lag_ms", "How far Kafka's acknowledgements lag the spool, in milliseconds.");
        _journalSpoolPosition = f.CreateGauge("switch_journal_spool_position", "The last sequence the spool assigned.");
        _journalForwardedPosition = f.CreateGauge("switch_journal_forwarded_position", "The sequence Kafka acknowledged through.");
        _journalProjectedPosition = f.CreateGauge("switch_journal_projected_position", "The sequence the Postgres projection committed through.");
        _journalHealth = f.CreateGauge("switch_journal_health", "Journal health: 0 healthy, 1 degraded (Kafka lags), 2 unhealthy (appends refused).");
        string[] network = ["name", "role"];
        _networkFramesIn = f.CreateCounter("switch_network_frames_in_total", "Frames received by a listener or connector.", network);
        _networkFramesOut = f.CreateCounter("switch_network_frames_out_total", "Frames sent by a listener or connector.", network);
        _networkBytesIn = f.CreateCounter("switch_network_bytes_in_total", "Bytes received by a listener or connector.", network);
        _networkBytesOut = f.CreateCounter("switch_network_bytes_out_total", "Bytes sent by a listener or connector.", network);
        _networkRefused = f.CreateCounter("switch_network_connections_refused_total", "Connections refused (limits, failed TLS handshakes).", network);
        _networkMalformed = f.CreateCounter("switch_network_malformed_frames_total", "Frames that could not be read (connection closed).", network);
        _networkTimeouts = f.CreateCounter("switch_network_timeouts_total", "Requests that got no response in time (connectors), idle or slow peers closed.", network);
        Registry.AddBeforeCollectCallback(CollectSources);
    }

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <inheritdoc/>
    public void TransactionCompleted(string mti, string responseCode, double latencySeconds)
    {
        TransactionCounter(mti, responseCode).Inc();
        _latency.Observe(latencySeconds);
    }

    /// <inheritdoc/>
    public void InFlight(int delta) => _inFlight.Inc(delta);

    /// <inheritdoc/>
    public void SafDepth(string endpoint, int depth) => ByEndpoint(_safByEndpoint, _safDepth, endpoint).Set(depth);

    /// <inheritdoc/>
    public void DuplicateAnswered() => _duplicates.Inc();

    /// <inheritdoc/>
    public void LateResponse(string endpoint) => ByEndpoint(_lateByEndpoint, _late, endpoint).Inc();

    /// <summary>Adds a connector's up/usable gauges (read when /metrics is scraped).</summary>
    public void AddConnector(IsoConnector connector)
    {
        lock (_sourcesGate) _connectors.Add(connector);
    }

    /// <summary>Adds a listener's connection gauge (read when /metrics is scraped).</summary>
    public void AddListener(IsoListener listener)
    {
        lock (_sourcesGate) _listeners.Add(listener);
    }

    /// <summary>Sets the journal whose lag, positions and health are read when /metrics is scraped.</summary>
    public void SetJournal(Journal.Journal journal)
    {
        lock (_sourcesGate) _journal = journal;
    }

    /// <summary>The cached counter child of (mti, rc): two array reads for a 4-digit MTI and a 2-character code.</summary>
    private Counter.Child TransactionCounter(string mti, string rc)
    {
        int m = MtiIndex(mti), r = RcIndex(rc);
        if (m < 0 || r < 0) return OddTransactionCounter(mti, rc);
        var row = Volatile.Read(ref _byMtiRc[m]);
        if (row is null)
        {
            // A lost race only drops one empty row; the children it would hold are the registry's same objects.
            Interlocked.CompareExchange(ref _byMtiRc[m], new Counter.Child?[RcSlots], null);
            row = Volatile.Read(ref _byMtiRc[m])!;
        }
        return Volatile.Read(ref row[r]) ?? Create(row, r, mti, rc);
    }

    private Counter.Child Create(Counter.Child?[] row, int r, string mti, string rc)
    {
        // Label strings copied so the registry never holds a caller's pooled or sliced buffer.
        var child = _transactions.WithLabels(new string(mti), rc.Length == 0 ? NoResponseCode : new string(rc));
        Volatile.Write(ref row[r], child);
        return child;
    }

    /// <summary>An MTI or code outside the table's shape (should not happen: the pipeline answers valid MTIs): bounded in number.</summary>
    private Counter.Child OddTransactionCounter(string mti, string rc)
    {
        if (_oddTransactions.TryGetValue((mti, rc), out var child)) return child;
        if (_oddTransactions.Count >= LabelValuesMax) return _oddTransactions.GetOrAdd((Other, Other), static (_, t) => t.WithLabels(Other, Other), _transactions);
        return _oddTransactions.GetOrAdd((mti, rc), static (k, t) => t.WithLabels(Sanitize(k.Mti), Sanitize(k.Rc)), _transactions);
    }

    private static string Sanitize(string value) => value.Length is 0 or > 8 ? Other : value;

    /// <summary>0–9999 for four ASCII digits, else -1.</summary>
    internal static int MtiIndex(string mti)
    {
        if (mti is null || mti.Length != 4) return -1;
        int n = 0;
        foreach (char c in mti)
        {
            if (!char.IsAsciiDigit(c)) return -1;
            n = (n * 10) + (c - '0');
        }
        return n;
    }

    /// <summary>0 for "", 1–1296 for two characters of [0-9A-Z], else -1.</summary>
    internal static int RcIndex(string rc)
    {
        if (rc is null) return -1;
        if (rc.Length == 0) return 0;
        if (rc.Length != 2) return -1;
        int a = Base36(rc[0]), b = Base36(rc[1]);
        return a < 0 || b < 0 ? -1 : 1 + (a * 36) + b;
    }

    private static int Base36(char c) => char.IsAsciiDigit(c) ? c - '0' : c is >= 'A' and <= 'Z' ? 10 + (c - 'A') : -1;

    private static TChild ByEndpoint<TChild>(ConcurrentDictionary<string, TChild> cache, Collector<TChild> metric, string endpoint)
        where TChild : ChildBase
    {
        if (cache.TryGetValue(endpoint, out var child)) return child;
        string label = cache.Count >= LabelValuesMax || string.IsNullOrEmpty(endpoint) ? Other : endpoint;
        // A static lambda with the metric as argument: a capturing one would allocate its closure on every call.
        return cache.GetOrAdd(label, static (l, m) => m.WithLabels(l), metric);
    }

    /// <summary>Collect-time gauges: read each source's state when /metrics is scraped, never on the hot path.</summary>
    private void CollectSources()
    {
        IsoConnector[] connectors;
        IsoListener[] listeners;
        Journal.Journal? journal;
        lock (_sourcesGate)
        {
            connectors = [.. _connectors];
            listeners = [.. _listeners];
            journal = _journal;
        }
        foreach (var c in connectors)
        {
            var health = c.Health;
            _connectorUp.WithLabels(c.Name).Set(health == EndpointHealth.Down ? 0 : 1);
            _connectorSignedOn.WithLabels(c.Name).Set(c.IsUsable ? 1 : 0);
            CollectNetwork(c.Metrics.Snapshot(), "connector");
        }
        foreach (var l in listeners)
        {
            _listenerConnections.WithLabels(l.Name).Set(l.ConnectionCount);
            CollectNetwork(l.Metrics.Snapshot(), "listener");
        }
        if (journal is not null) CollectJournal(journal);
    }

    /// <summary>The network counters, copied as they are (IncTo: a counter never goes down, even across a scrape race).</summary>
    private void CollectNetwork(Switch.Network.Metrics.NetworkMetricsSnapshot n, string role)
    {
        _networkFramesIn.WithLabels(n.Name, role).IncTo(n.FramesIn);
        _networkFramesOut.WithLabels(n.Name, role).IncTo(n.FramesOut);
        _networkBytesIn.WithLabels(n.Name, role).IncTo(n.BytesIn);
        _networkBytesOut.WithLabels(n.Name, role).IncTo(n.BytesOut);
        _networkRefused.WithLabels(n.Name, role).IncTo(n.ConnectionsRefused);
        _networkMalformed.WithLabels(n.Name, role).IncTo(n.MalformedFrames);
        _networkTimeouts.WithLabels(n.Name, role).IncTo(n.Timeouts);
    }

    private void CollectJournal(Journal.Journal journal)
    {
        _journalLagMs.Set(journal.Forwarder.LagMs);
        _journalSpoolPosition.Set(journal.Spool.LastAssigned);
        _journalForwardedPosition.Set(journal.Forwarder.AckedThrough);
        _journalProjectedPosition.Set(journal.ProjectedThrough);
        _journalHealth.Set(journal.Health switch { JournalHealth.Healthy => 0, JournalHealth.Degraded => 1, _ => 2 });
    }
}
