using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Switch.Common.Configuration;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.Metrics;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;
using Switch.Routing;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Core.Tests.Issuers;

/// <summary>
/// The issuer gateway on real parts: a real connector over loopback TCP to a test issuer on a real listener, the real
/// journal on a temp spool (Kafka "mock"), the software security module with the demo keys under a fresh LMK.
/// It plays the pipeline's part: authorize, journal the decision's events in one append, commit.
/// </summary>
internal sealed class IssuerTestbed : IAsyncDisposable
{
    public const string Connector = "issuer-sim";
    public const string FailoverConnector = "issuer-b";
    public static readonly SpecRegistry Specs = new();
    public static readonly MessageSpec Spec = Specs.Resolve("iso8583-1987-binary");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"sct-iss-{Guid.NewGuid():N}");
    private readonly byte[] _hashKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _dataKey = RandomNumberGenerator.GetBytes(32);
    private readonly Lmk _lmk = Lmk.Generate();
    private int _txn;
    private int _stan = 100;

    private IssuerTestbed(CoreOptions options, int timeoutMs)
    {
        Directory.CreateDirectory(_dir);
        Options = options;
        TimeoutMs = timeoutMs;
        Store = new FileKeyStore(Path.Combine(_dir, "keys"));
        var import = new KeyImport(_lmk, Store);
        foreach (var key in DemoDataSet.All.Keys)
            import.FromComponents(key.Name, FileKeyStore.ParseType(key.Type), KeyAlgorithm.Tdes, [Convert.FromHexString(key.ClearHex)], key.Kcv);
        Security = new ComposedSecurityModule(new SoftwareCipherEngine(), _lmk, ownsEngine: true);
        Keys = new KeyRing(Security, Store);
        Pans = new PanProtector(_hashKey, _dataKey);
        (Log, LogSink) = CollectingSink.Create();
        Issuer = new TestIssuer(Security, Store);
    }

    public CoreOptions Options { get; }
    public int TimeoutMs { get; }
    public FileKeyStore Store { get; }
    public ComposedSecurityModule Security { get; }
    public IKeyRing Keys { get; }
    public PanProtector Pans { get; }
    public Logger Log { get; }
    public CollectingSink LogSink { get; }
    public TestIssuer Issuer { get; }
    public RecordingMetrics Metrics { get; private set; } = new();
    public Journal.Journal Journal { get; private set; } = null!;
    public IsoConnector ConnectorInstance { get; private set; } = null!;
    public IssuerGateway Gateway { get; private set; } = null!;
    public IsoListener? Listener { get; private set; }
    public TestIssuer? SecondIssuer { get; private set; }
    public IsoListener? SecondListener { get; private set; }
    public IsoConnector? SecondConnectorInstance { get; private set; }
    public int IssuerPort { get; private set; }

    /// <summary>The gateway's clock (the system's unless the test gives one, F19).</summary>
    public IClock Clock { get; private set; } = SystemClock.Instance;
    public string JournalDirectory => Path.Combine(_dir, "journal");

    /// <summary>Options with a short store-and-forward backoff so repeats happen within a test.</summary>
    public static CoreOptions FastOptions(int safFirstRetryMs = 300, int safEntriesMax = 100, int breakerFailuresMax = 5) => new()
    {
        SafFirstRetryMs = safFirstRetryMs,
        SafRetryMaxMs = Math.Max(safFirstRetryMs, 1_200),
        SafEntriesMax = safEntriesMax,
        IssuerBreakerFailuresMax = breakerFailuresMax,
        IssuerBreakerOpenMs = 60_000,
    };

    /// <summary>Starts the issuer (unless <paramref name="issuerUp"/> is false), the journal, the connector and the gateway.</summary>
    public static async Task<IssuerTestbed> StartAsync(CoreOptions? options = null, bool issuerUp = true, int timeoutMs = 2_500, bool failoverIssuer = false, IClock? clock = null)
    {
        var bed = new IssuerTestbed(options ?? FastOptions(), timeoutMs);
        if (clock is not null) bed.Clock = clock;
        bed.IssuerPort = FreePort();
        if (issuerUp) await bed.StartIssuerAsync();
        bed.OpenJournal();
        bed.ConnectorInstance = bed.NewConnector();
        bed.ConnectorInstance.Start();
        if (failoverIssuer)
        {
            bed.SecondIssuer = new TestIssuer(bed.Security, bed.Store);
            int port = FreePort();
            bed.SecondListener = bed.NewListener(port, bed.SecondIssuer);
            bed.SecondConnectorInstance = bed.NewConnector(FailoverConnector, port);
            bed.SecondConnectorInstance.Start();
            Assert.True(await bed.SecondConnectorInstance.WaitUsableAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "the failover connector never signed on");
        }
        bed.Gateway = bed.NewGateway();
        bed.Gateway.Start();
        if (issuerUp) Assert.True(await bed.ConnectorInstance.WaitUsableAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "the connector never signed on");
        return bed;
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static ConfigSection Section() => new("switch.json", "network", JsonDocument.Parse("{}").RootElement.Clone());

    public async Task StartIssuerAsync()
    {
        Listener = NewListener(IssuerPort, Issuer);
        Issuer.DropConnection = () => _ = Task.Run(StopIssuerAsync);
        await Task.Yield();
    }

    private IsoListener NewListener(int port, TestIssuer issuer)
    {
        var options = new ListenerOptions
        {
            Name = "test-issuer", Bind = "127.0.0.1", Port = port,
            Limits = new LimitOptions { IdleTimeoutMs = 60_000, PartialFrameTimeoutMs = 5_000, DrainTimeoutMs = 200 },
        };
        new NetworkConfig { Listeners = [options] }.Validate(Section(), Specs);
        var listener = new IsoListener(options, Specs, new NetworkManagementHandler(issuer), Log);
        listener.Start();
        return listener;
    }

    /// <summary>Stops the issuer: its connections close (the connector sees the peer go).</summary>
    public async Task StopIssuerAsync()
    {
        var listener = Listener;
        Listener = null;
        if (listener is not null) await listener.DisposeAsync();
    }

    private IsoConnector NewConnector(string name = Connector, int port = 0)
    {
        var options = new ConnectorOptions
        {
            Name = name,
            Endpoints = [$"127.0.0.1:{(port == 0 ? IssuerPort : port)}"],
            Reconnect = new ReconnectOptions { InitialDelayMs = 50, DelayMsMax = 200, ConnectTimeoutMs = 2_000 },
            NetworkManagement = new NetworkManagementOptions { SignOnRequired = true, EchoIntervalMs = 0, ResponseTimeoutMs = 2_000 },
            Mux = new MuxOptions { TimeoutMs = TimeoutMs },
            Limits = new LimitOptions { IdleTimeoutMs = 60_000, PartialFrameTimeoutMs = 5_000 },
        };
        new NetworkConfig { Connectors = [options] }.Validate(Section(), Specs);
        return new IsoConnector(options, Specs, Log);
    }

    private void OpenJournal()
    {
        var options = new JournalOptions
        {
            NodeId = 1,
            Spool = new SpoolOptions { Directory = JournalDirectory, SegmentBytesMax = 4 * 1024 * 1024, SpoolBytesMax = 400L * 1024 * 1024, RetentionMs = 3_600_000 },
            Kafka = new KafkaOptions { BootstrapServers = "mock", MockBrokers = 1, Partitions = 1, ReplicationFactor = 1, MinInsyncReplicas = 1, Topic = "switch.journal.issuers" },
        };
        Journal = Switch.Journal.Journal.Open(options, Log, fatal: ex => throw new InvalidOperationException("journal fatal in test", ex));
    }

    private IssuerGateway NewGateway()
    {
        var connectors = new Dictionary<string, IsoConnector>(StringComparer.Ordinal) { [Connector] = ConnectorInstance };
        if (SecondConnectorInstance is not null) connectors[FailoverConnector] = SecondConnectorInstance;
        return new(Options, connectors, Security, Keys, Journal, Pans, Clock, Metrics, Log);
    }

    /// <summary>A restart of the switch: gateway, connector and journal closed, reopened, the journal replayed into a new gateway, started.</summary>
    public async Task RestartSwitchAsync()
    {
        await Gateway.DisposeAsync();
        await ConnectorInstance.DisposeAsync();
        Journal.Dispose();
        OpenJournal();
        Metrics = new RecordingMetrics();
        ConnectorInstance = NewConnector();
        Gateway = NewGateway();
        await foreach (var record in Journal.ReadAsync(1, CancellationToken.None)) Gateway.Apply(record);
        ConnectorInstance.Start();
        Gateway.Start();
    }

    /// <summary>Every durable journal record, in order.</summary>
    public async Task<List<JournalRecord>> JournalRecordsAsync()
    {
        var all = new List<JournalRecord>();
        await foreach (var record in Journal.ReadAsync(1, CancellationToken.None)) all.Add(record);
        return all;
    }

    // ---- the pipeline's part ----

    public static Route RemoteRoute(string? failover = KnownDestinations.StandIn) => RouteRules.Create("demo-issuer", "541333", Connector, failover: failover);

    public static MasterDataSnapshot MasterData { get; } = new(DemoDataSet.Terminals, [], [], [DemoDataSet.OnUsProfile],
        [DemoDataSet.RemoteIssuer, DemoDataSet.RemoteIssuer with { Destination = FailoverConnector }]);

    public static TerminalProfile Terminal => DemoDataSet.Terminals.First(t => t.TerminalId == "TERM0002");

    /// <summary>A terminal's request for the demo remote card (TEST DATA), with a PIN block under the demo TPK when <paramref name="pin"/> is given.</summary>
    public (IssuerRequest Request, IsoMessage Message) Purchase(long amountMinor, string? pin = null, string mti = "0200", Route? route = null,
        byte[]? dukptBlock = null, byte[]? ksn = null, TerminalProfile? terminal = null)
    {
        var card = DemoDataSet.All.RemoteCard;
        string stan = Interlocked.Increment(ref _stan).ToString("D6", CultureInfo.InvariantCulture);
        string de7 = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var message = Spec.NewMessage(mti)
            .Set(2, card.Pan).Set(3, "000000").Set(4, amountMinor.ToString("D12", CultureInfo.InvariantCulture)).Set(7, de7).Set(11, stan)
            .Set(12, "101112").Set(13, "1204").Set(14, card.Expiry).Set(22, pin is null ? "901" : "051").Set(35, card.Track2)
            .Set(37, "RRN" + stan + "000").Set(41, Terminal.TerminalId).Set(42, Terminal.MerchantId).Set(49, "840");
        byte[] pinBlock = dukptBlock ?? (pin is null ? [] : EncryptUnderDemoTpk(pin, card.Pan));
        if (pinBlock.Length > 0) message.SetBinary(52, pinBlock);
        var txn = new CardTransaction
        {
            TransactionId = $"1-{Interlocked.Increment(ref _txn)}",
            StartedTicks = SystemClock.Instance.MonotonicTicks,
            Mti = mti,
            Kind = mti[1] == '1' ? TransactionKind.Authorization : TransactionKind.Purchase,
            Pan = card.Pan,
            ProcessingCode = "000000",
            AmountMinor = amountMinor,
            CurrencyNumeric = 840,
            TransmissionDateTime = de7,
            Stan = stan,
            LocalTime = "101112",
            LocalDate = "1204",
            Expiry = card.Expiry,
            PosEntryMode = pin is null ? "901" : "051",
            Track2 = card.Track2,
            Rrn = "RRN" + stan + "000",
            TerminalId = Terminal.TerminalId,
            MerchantId = Terminal.MerchantId,
            PinBlock = pinBlock,
            Ksn = ksn ?? [],
        };
        return (new IssuerRequest { Transaction = txn, TerminalRequest = message, Terminal = terminal ?? Terminal, Route = route ?? RemoteRoute(), MasterData = MasterData }, message);
    }

    /// <summary>The terminal's reversal (0400 or 0420) of <paramref name="original"/>, DE90 naming it as the terminal sent it.</summary>
    public IssuerRequest Reversal(IssuerRequest original, string mti = "0420", string? replacementAmounts = null)
    {
        var o = original.Transaction;
        string stan = Interlocked.Increment(ref _stan).ToString("D6", CultureInfo.InvariantCulture);
        string de7 = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var od = new OriginalData(o.Mti, o.Stan, o.TransmissionDateTime, "", "");
        var message = Spec.NewMessage(mti)
            .Set(2, o.Pan!).Set(3, o.ProcessingCode).Set(4, o.AmountMinor.ToString("D12", CultureInfo.InvariantCulture)).Set(7, de7).Set(11, stan)
            .Set(37, o.Rrn).Set(41, o.TerminalId).Set(42, o.MerchantId).Set(49, "840").Set(90, od.Format());
        if (replacementAmounts is not null) message.Set(95, replacementAmounts);
        var txn = new CardTransaction
        {
            TransactionId = $"1-{Interlocked.Increment(ref _txn)}",
            StartedTicks = SystemClock.Instance.MonotonicTicks,
            Mti = mti,
            Kind = TransactionKind.Reversal,
            Pan = o.Pan,
            ProcessingCode = o.ProcessingCode,
            AmountMinor = o.AmountMinor,
            CurrencyNumeric = 840,
            TransmissionDateTime = de7,
            Stan = stan,
            Rrn = o.Rrn,
            TerminalId = o.TerminalId,
            MerchantId = o.MerchantId,
            Original = OriginalData.Parse(od.Format()),
        };
        return new IssuerRequest { Transaction = txn, TerminalRequest = message, Terminal = Terminal, Route = original.Route, MasterData = MasterData };
    }

    /// <summary>Authorize, journal the events in one append, commit (what the pipeline does).</summary>
    public async Task<IssuerDecision> RunAsync(IssuerRequest request)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var decision = await Gateway.AuthorizeAsync(request, cts.Token);
        if (decision.Events.Count > 0) await Journal.AppendAsync(decision.Events, cts.Token);
        Gateway.Commit(decision);
        return decision;
    }

    /// <summary>Adds a test-only key to the key store under the test's LMK.</summary>
    public void ImportTestKey(string name, KeyType type, string clearHex)
    {
        byte[] clear = Convert.FromHexString(clearHex);
        new KeyImport(_lmk, Store).FromComponents(name, type, KeyAlgorithm.Tdes, [clear], KeyImport.CheckValue(KeyAlgorithm.Tdes, clear));
    }

    /// <summary>A format 0 PIN block enciphered under a clear TDES key (test side only).</summary>
    public static byte[] EncryptUnder(byte[] key, string pin, string pan)
    {
        var clear = new byte[8];
        PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
        using var engine = new SoftwareCipherEngine();
        using var handle = engine.Import(KeyAlgorithm.Tdes, key);
        var block = new byte[8];
        engine.EncryptEcb(handle, KeyPart.Whole, clear, block);
        return block;
    }

    /// <summary>A format 0 PIN block enciphered under the demo TPK, as a PIN pad makes it (TEST DATA).</summary>
    public static byte[] EncryptUnderDemoTpk(string pin, string pan)
    {
        var clear = new byte[8];
        PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
        using var engine = new SoftwareCipherEngine();
        using var tpk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(DemoDataSet.All.Keys.First(k => k.Name == "demo-tpk").ClearHex));
        var block = new byte[8];
        engine.EncryptEcb(tpk, KeyPart.Whole, clear, block);
        return block;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>I4: no full PAN or track data in the journal (Detail included) or in what was logged.</summary>
    public async Task AssertNoCardDataKeptAsync()
    {
        string pan = DemoDataSet.All.RemoteCard.Pan;
        foreach (var r in await JournalRecordsAsync())
        {
            var e = r.Event;
            foreach (string text in new[] { e.PanMasked, e.Detail, e.Stan, e.Rrn, e.TerminalId, e.MerchantId, e.ApprovalCode, e.Route, e.Destination })
                Assert.DoesNotContain(pan, text, StringComparison.Ordinal);
            Assert.False(e.PanEncrypted.Span.IndexOf(System.Text.Encoding.ASCII.GetBytes(pan)) >= 0, "the encrypted PAN holds the clear PAN");
        }
        Assert.DoesNotContain(LogSink.Messages(), m => m.Contains(pan, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await ConnectorInstance.DisposeAsync();
        await StopIssuerAsync();
        if (SecondConnectorInstance is not null) await SecondConnectorInstance.DisposeAsync();
        if (SecondListener is not null) await SecondListener.DisposeAsync();
        Journal.Dispose();
        await Security.DisposeAsync();
        Pans.Dispose();
        _lmk.Dispose();
        Log.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>What the gateway reported: SAF depth per endpoint and late responses.</summary>
internal sealed class RecordingMetrics : ICoreMetrics
{
    private readonly ConcurrentDictionary<string, int> _depth = new();
    private int _late;

    public int Depth(string endpoint) => _depth.GetValueOrDefault(endpoint, -1);
    public int LateResponses => Volatile.Read(ref _late);

    public void TransactionCompleted(string mti, string responseCode, double latencySeconds) { }
    public void InFlight(int delta) { }
    public void SafDepth(string endpoint, int depth) => _depth[endpoint] = depth;
    public void DuplicateAnswered() { }
    public void LateResponse(string endpoint) => Interlocked.Increment(ref _late);
}

/// <summary>Keeps every log event's rendered message (tests check that no PAN was logged).</summary>
internal sealed class CollectingSink : ILogEventSink
{
    private readonly List<string> _messages = [];

    public void Emit(LogEvent logEvent)
    {
        string text = logEvent.RenderMessage(CultureInfo.InvariantCulture) + (logEvent.Exception?.ToString() ?? "");
        lock (_messages) _messages.Add(text);
    }

    public List<string> Messages()
    {
        lock (_messages) return [.. _messages];
    }

    public static (Logger, CollectingSink) Create()
    {
        var sink = new CollectingSink();
        return (new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger(), sink);
    }
}
