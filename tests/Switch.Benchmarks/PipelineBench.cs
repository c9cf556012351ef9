using System.Diagnostics;
using System.Globalization;
using System.Net;
using Switch.Core;
using Switch.Core.Authorization;
using Switch.Core.Hosting;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Pipeline;
using Switch.Core.Time;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Network.Acceptor;
using Switch.Routing;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Benchmarks;

/// <summary>
/// The pipeline's cost per on-us 0200 (Stopwatch harness, in process, no TCP): <c>pipeline [seconds] [callers] [accounts]</c>.
/// Each caller decodes a request from its bytes (as the listener does) and hands it to the real transaction manager:
/// parse, MAC verify, duplicate check, route, the real on-us authorizer, answer, MAC generate, and the real journal's
/// append (temp spool, fsync group commit, Kafka mock) awaited before the answer. Two shapes alternated: "plain"
/// (TERM0002: no MAC, no PIN) and "pin+mac" (TERM0001: MAC verify and generate, CVV and PIN verify).
/// </summary>
public static class PipelineBench
{
    internal sealed class Ring(Dictionary<string, SecureKey> keys) : IKeyRing
    {
        public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct) => new(keys[name]);
    }

    /// <summary>No remote BIN is routed in this harness: a call here is a bug.</summary>
    internal sealed class NoIssuers : IIssuerGateway
    {
        public ValueTask<IssuerDecision> AuthorizeAsync(IssuerRequest request, CancellationToken ct) => throw new InvalidOperationException("no remote route in the pipeline bench");
        public void Commit(IssuerDecision decision) { }
        public void Abort(IssuerDecision decision) { }
        public void Apply(JournalRecord record) { }
    }

    /// <summary>Warnings and errors to the console (a failed transaction says why).</summary>
    internal sealed class ConsoleSink : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent e)
        {
            if (e.Level >= Serilog.Events.LogEventLevel.Warning) Console.WriteLine($"  log {e.Level}: {e.RenderMessage(CultureInfo.InvariantCulture)}");
        }
    }

    internal sealed record Card(string Pan, byte[] PinBlock, string Track2);

    /// <summary>Runs the harness and prints one line per shape and round.</summary>
    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int callers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        int accounts = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
        return RunAsync(seconds, callers, accounts).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int seconds, int callers, int accountCount)
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var keys = new Dictionary<string, SecureKey>(StringComparer.Ordinal);
        foreach (var k in DemoDataSet.All.Keys)
            keys[k.Name] = await module.ImportClearKeyAsync(Enum.Parse<KeyType>(k.Type, true), KeyAlgorithm.Tdes, Convert.FromHexString(k.ClearHex), CancellationToken.None);
        using var protector = new PanProtector(new byte[32], new byte[32]);
        var (cards, snapshot) = await CardsAsync(module, keys, protector, accountCount);
        string spool = Directory.CreateTempSubdirectory("pipeline-bench-").FullName;
        try
        {
            using var journal = Journal.Journal.Open(new JournalOptions { NodeId = 9, Spool = new SpoolOptions { Directory = spool } }, Serilog.Core.Logger.None);
            var options = new CoreOptions();
            await using var authorizer = new OnUsAuthorizer(options, module, new Ring(keys), SystemClock.Instance);
            var routes = new RouteTableHolder();
            routes.TryPublish(RouteTable.Build([RouteRules.Create("demo-on-us", DemoDataSet.All.OnUsBin, KnownDestinations.OnUs)], 1));
            var manager = CorePipeline.Create(new CoreServices
            {
                Options = options, NodeId = 9, MasterData = new MasterDataHolder(snapshot), Routes = routes, Security = module, Keys = new Ring(keys),
                Pan = protector, OnUs = authorizer, Issuers = new NoIssuers(), Journal = journal, Duplicates = new DuplicateMemory(options, SystemClock.Instance),
                Log = new Serilog.LoggerConfiguration().WriteTo.Sink(new ConsoleSink()).CreateLogger(),
            });
            Console.WriteLine($"pipeline: {callers} callers, {accountCount} accounts, {Environment.ProcessorCount} cores, {seconds} s a round, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            int stanBase = 0;
            for (int round = 0; round < 2; round++)
            {
                foreach (bool secured in new[] { false, true })
                {
                    // Requests prepared before the clocks start (a terminal's work, not the switch's); distinct STANs: no duplicates.
                    var requests = new byte[callers * PerCaller][];
                    for (int i = 0; i < requests.Length; i++) requests[i] = await RequestAsync(spec, module, keys["demo-tak"], cards[i % cards.Count], secured, stanBase + i);
                    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    var (count, p50, p99) = await RoundAsync(manager, spec, requests, callers, TimeSpan.FromSeconds(seconds));
                    stanBase += 100_000;
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                    Console.WriteLine($"  {(secured ? "pin+mac" : "plain  ")}: {count.Rate,9:N0} txn/s   {cpu.TotalMicroseconds / count.Done,7:N1} µs CPU each   latency p50 {p50:N2} ms  p99 {p99:N2} ms");
                }
            }
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
        return 0;
    }

    private const int PerCaller = 400;

    private static async Task<((double Rate, long Done) Count, double P50, double P99)> RoundAsync(TransactionManager manager, MessageSpec spec, byte[][] requests, int callers, TimeSpan length)
    {
        int perCaller = PerCaller;
        var session = new SessionContext("bench", 1, new IPEndPoint(IPAddress.Loopback, 1));
        long total = 0;
        var latencies = new List<double>[callers];
        long end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, callers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(perCaller);
            for (int i = 0; i < perCaller && Stopwatch.GetTimestamp() < end; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var request = spec.Decode(requests[w * perCaller + i].AsMemory());
                var answer = await manager.HandleAsync(request, session, CancellationToken.None);
                if (answer?.GetString(39) != "00") throw new InvalidOperationException($"expected 00, got {answer?.GetString(39)}");
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            Interlocked.Add(ref total, mine.Count);
        })).ToArray();
        var started = Stopwatch.StartNew();
        await Task.WhenAll(workers);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        // A round ends at the time limit or when the prepared requests run out: the rate is over the time it took.
        double elapsed = Math.Max(started.Elapsed.TotalSeconds, 0.001);
        return ((total / elapsed, total), all[all.Length / 2], all[(int)(all.Length * 0.99)]);
    }

    internal static async Task<byte[]> RequestAsync(MessageSpec spec, ComposedSecurityModule module, SecureKey tak, Card card, bool secured, int n)
    {
        var m = spec.NewMessage("0200").Set(2, card.Pan).Set(3, "000000").Set(4, "000000000100").Set(7, De7(n))
            .Set(11, (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture)).Set(22, "021").Set(41, secured ? "TERM0001" : "TERM0002")
            .Set(42, "MERCHANT0000001").Set(49, "840");
        if (!secured) return spec.Encode(m);
        m.Set(35, card.Track2).SetBinary(52, card.PinBlock);
        return await MessageMac.SignAsync(module, tak, m, CancellationToken.None);
    }

    /// <summary>DE 7 moves one second per million requests: with DE 11 it keeps every request's duplicate key distinct.</summary>
    private static string De7(int n) => "1204" + (101112 + n / 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    internal static async Task<(List<Card>, MasterDataSnapshot)> CardsAsync(ComposedSecurityModule module, Dictionary<string, SecureKey> keys, PanProtector protector, int count)
    {
        var cards = new List<Card>();
        var records = new List<CardRecord>();
        var accounts = new List<AccountRecord>();
        var engine = new SoftwareCipherEngine();
        using var tpk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(DemoDataSet.All.Keys.Single(k => k.Name == "demo-tpk").ClearHex));
        for (int i = 0; i < count; i++)
        {
            // The cards `db seed demo --cards N` writes: the TCP harness drives a real `switch run` with the same ones.
            string pan = GeneratedCards.Pan(i);
            string pvv = await module.GeneratePvvAsync(keys["demo-pvk"], pan, "1234", 1, CancellationToken.None);
            string cvv = await module.GenerateCvvAsync(keys["demo-cvk"], pan, "3012", "101", CancellationToken.None);
            var clear = new byte[8];
            PinBlock.Encode(PinBlockFormat.Iso0, "1234", pan, clear);
            var block = new byte[8];
            engine.EncryptEcb(tpk, KeyPart.Whole, clear, block);
            cards.Add(new Card(pan, block, $"{pan}=3012101{1}{pvv}{cvv}00000"));
            string hash = Convert.ToHexStringLower(protector.Hash(pan));
            records.Add(new CardRecord(hash, PanProtector.Mask(pan), "ACC-" + i, "3012", "101", 1, pvv, CardStatus.Active, 0, 0));
            // 1,000,000,000.00 each: DE54 is 12 digits.
            accounts.Add(new AccountRecord("ACC-" + i, 840, 100_000_000_000));
        }
        return (cards, new MasterDataSnapshot(DemoDataSet.Terminals, records, accounts, [DemoDataSet.OnUsProfile], []));
    }
}
