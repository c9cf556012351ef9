using System.Collections.Concurrent;
using System.Net;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Switch.Core.Hosting;
using Switch.Core.MasterData.Postgres;
using Switch.Core.MasterData;
using Switch.Core.Pipeline;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Journal.Pan;
using Switch.Network.Acceptor;
using Switch.Routing;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Core.Tests.Pipeline;

/// <summary>Collects rendered log lines (the masking tests read them).</summary>
internal sealed class LogLines : ILogEventSink
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public void Emit(LogEvent logEvent) => Lines.Enqueue(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));

    public string All => string.Join("\n", Lines);
}

/// <summary>
/// The pipeline composed with the real participants, the software security module, the demo terminals and routes, and
/// doubles for the authorizer, the gateway and the journal; requests are built as a terminal would (MAC included).
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    public static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
    public static readonly byte[] Tak = Convert.FromHexString(DemoDataSet.All.Keys.Single(k => k.Name == "demo-tak").ClearHex);

    private static int s_stan;

    private PipelineHarness(CoreOptions options, ComposedSecurityModule module, SecureKey tak, Switch.Journal.IJournal? journal)
    {
        Options = options;
        Module = module;
        Routes.TryPublish(DemoRoutes(1));
        MasterData = new MasterDataHolder(new MasterDataSnapshot(DemoDataSet.Terminals, [], [], [DemoDataSet.OnUsProfile], [DemoDataSet.RemoteIssuer], 1));
        Duplicates = new DuplicateMemory(options, Clock);
        Log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(LogSink).CreateLogger();
        Manager = CorePipeline.Create(new CoreServices
        {
            Options = options,
            NodeId = 7,
            MasterData = MasterData,
            Routes = Routes,
            Security = module,
            Keys = new TestKeyRing(new Dictionary<string, SecureKey> { ["demo-tak"] = tak }),
            Pan = Pan,
            OnUs = OnUs,
            Issuers = Issuers,
            Journal = journal ?? Journal,
            Duplicates = Duplicates,
            Clock = Clock,
            Log = Log,
        });
    }

    public CoreOptions Options { get; }
    public ComposedSecurityModule Module { get; }
    public ManualClock Clock { get; } = new();
    public ScriptedOnUs OnUs { get; } = new();
    public ScriptedIssuers Issuers { get; } = new();
    public MemoryJournal Journal { get; } = new();
    public RouteTableHolder Routes { get; } = new();
    public MasterDataHolder MasterData { get; }
    public DuplicateMemory Duplicates { get; }
    public PanProtector Pan { get; } = new(new byte[32].Select((_, i) => (byte)i).ToArray(), new byte[32].Select((_, i) => (byte)(100 + i)).ToArray());
    public LogLines LogSink { get; } = new();
    public ILogger Log { get; }
    public TransactionManager Manager { get; }
    public SessionContext Session { get; } = new("terminals", 1, new IPEndPoint(IPAddress.Loopback, 40000));

    public static async Task<PipelineHarness> CreateAsync(CoreOptions? options = null, Switch.Journal.IJournal? journal = null)
    {
        var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var tak = await module.ImportClearKeyAsync(KeyType.Tak, KeyAlgorithm.Tdes, Tak, CancellationToken.None);
        return new PipelineHarness(options ?? new CoreOptions(), module, tak, journal);
    }

    public static RouteTable DemoRoutes(long version, string remoteDestination = "issuer-sim") => RouteTable.Build(
    [
        RouteRules.Create("demo-on-us", "476173", KnownDestinations.OnUs),
        RouteRules.Create("demo-issuer", "541333", remoteDestination, failover: remoteDestination == KnownDestinations.StandIn ? null : KnownDestinations.StandIn),
    ], version);

    /// <summary>Sends one request through the manager (as the acceptor would) and returns the answer.</summary>
    public async Task<IsoMessage> SendAsync(IsoMessage request)
    {
        var answer = await Manager.HandleAsync(request, Session, CancellationToken.None);
        Assert.NotNull(answer);
        // What the acceptor does next: encode it. The tests read the answer as the terminal does, decoded from bytes.
        return Spec.Decode(Spec.Encode(answer!).AsMemory());
    }

    public static string NextStan() => (Interlocked.Increment(ref s_stan) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A terminal's request for demo card <paramref name="letter"/> (unsigned; see <see cref="Signed"/>).</summary>
    public static IsoMessage Request(char letter = 'A', string mti = "0200", string processingCode = "000000", long amountMinor = 1000,
        string terminal = "TERM0001", string? stan = null, string? pan = null)
    {
        var card = DemoDataSet.Card(letter);
        string cardPan = pan ?? card.Pan;
        var m = Spec.NewMessage(mti)
            .Set(2, cardPan)
            .Set(3, processingCode)
            .Set(4, amountMinor.ToString("D12", System.Globalization.CultureInfo.InvariantCulture))
            .Set(7, "1204210000")
            .Set(11, stan ?? NextStan())
            .Set(12, "210000")
            .Set(13, "1204")
            .Set(22, "021")
            .Set(35, pan is null ? card.Track2 : cardPan + "=3012101" + "0000000000")
            .Set(37, "000000000001")
            .Set(41, terminal)
            .Set(42, "MERCHANT0000001")
            .Set(49, "840");
        m.SetBinary(52, [1, 2, 3, 4, 5, 6, 7, 8]);
        return m;
    }

    /// <summary>The request as a terminal sends it: with its MAC (computed by the reference implementation) in DE64 or DE128, decoded from bytes.</summary>
    public static IsoMessage Signed(IsoMessage request, bool corrupt = false)
    {
        int field = MessageMac.FieldOf(request);
        request.SetBinary(field, new byte[8]);
        byte[] bytes = Spec.Encode(request);
        byte[] mac = ReferenceMac.Compute(Tak, bytes.AsSpan(0, bytes.Length - 8));
        if (corrupt) mac[0] ^= 0x01;
        mac.CopyTo(bytes.AsSpan(bytes.Length - 8));
        return Spec.Decode(bytes.AsMemory());
    }

    /// <summary>The request unsigned, decoded from bytes (what a listener hands the pipeline).</summary>
    public static IsoMessage Wire(IsoMessage request) => Spec.Decode(Spec.Encode(request).AsMemory());

    /// <summary>True when the answer's MAC is the reference MAC of its bytes.</summary>
    public static bool MacIsValid(IsoMessage answer)
    {
        byte[] bytes = Spec.Encode(answer);
        int field = MessageMac.FieldOf(answer);
        if (!answer.Has(field)) return false;
        var expected = ReferenceMac.Compute(Tak, bytes.AsSpan(0, bytes.Length - 8));
        return expected.AsSpan().SequenceEqual(answer.GetBinary(field).Span);
    }

    public async ValueTask DisposeAsync()
    {
        Pan.Dispose();
        await Module.DisposeAsync();
    }
}
