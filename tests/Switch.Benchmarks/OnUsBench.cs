using System.Diagnostics;
using System.Globalization;
using Switch.Core;
using Switch.Core.Authorization;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Journal.Pan;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Benchmarks;

/// <summary>
/// The on-us authorizer's cost per decision (Stopwatch harness): <c>onus [seconds] [callers] [accounts]</c>. Synthetic
/// cards on the demo keys (TEST DATA), software security module; each caller authorizes 0200 purchases one after
/// another and commits each. Two shapes, alternated: "state" (no PIN, no track 2: only the partition's work) and
/// "pin+cvv" (track 2 CVV verify and PIN verify by PVV through the module, then the partition).
/// </summary>
public static class OnUsBench
{
    /// <summary>Runs the harness and prints one line per shape and round.</summary>
    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int callers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        int accounts = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
        return RunAsync(seconds, callers, accounts).GetAwaiter().GetResult();
    }

    private sealed class Ring(Dictionary<string, SecureKey> keys) : IKeyRing
    {
        public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct) => new(keys[name]);
    }

    private sealed record Card(string Pan, string Hash, byte[] PinBlock, string Track2);

    private static async Task<int> RunAsync(int seconds, int callers, int accountCount)
    {
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var keys = new Dictionary<string, SecureKey>(StringComparer.Ordinal);
        foreach (var k in DemoDataSet.All.Keys)
            keys[k.Name] = await module.ImportClearKeyAsync(Enum.Parse<KeyType>(k.Type, true), KeyAlgorithm.Tdes, Convert.FromHexString(k.ClearHex), CancellationToken.None);
        using var protector = new PanProtector(new byte[32], new byte[32]);
        var cards = new List<Card>();
        var records = new List<CardRecord>();
        var accounts = new List<AccountRecord>();
        var tpkClear = Convert.FromHexString(DemoDataSet.All.Keys.Single(k => k.Name == "demo-tpk").ClearHex);
        var engine = new SoftwareCipherEngine();
        using var tpk = engine.Import(KeyAlgorithm.Tdes, tpkClear);
        for (int i = 0; i < accountCount; i++)
        {
            string body = DemoDataSet.All.OnUsBin + i.ToString("D9", CultureInfo.InvariantCulture);
            string pan = body + LuhnDigit(body);
            string hash = Convert.ToHexStringLower(protector.Hash(pan));
            string pvv = await module.GeneratePvvAsync(keys["demo-pvk"], pan, "1234", 1, CancellationToken.None);
            string cvv = await module.GenerateCvvAsync(keys["demo-cvk"], pan, "3012", "101", CancellationToken.None);
            var clear = new byte[8];
            PinBlock.Encode(PinBlockFormat.Iso0, "1234", pan, clear);
            var block = new byte[8];
            engine.EncryptEcb(tpk, KeyPart.Whole, clear, block);
            cards.Add(new Card(pan, hash, block, $"{pan}=3012101{1}{pvv}{cvv}00000"));
            records.Add(new CardRecord(hash, PanProtector.Mask(pan), "ACC-" + i, "3012", "101", 1, pvv, CardStatus.Active, 0, 0));
            accounts.Add(new AccountRecord("ACC-" + i, 840, long.MaxValue / 4));
        }
        var snapshot = new MasterDataSnapshot(DemoDataSet.Terminals, records, accounts, [DemoDataSet.OnUsProfile], []);
        var terminal = snapshot.Terminal("TERM0002")!;
        await using var authorizer = new OnUsAuthorizer(new CoreOptions { Partitions = 0 }, module, new Ring(keys), SystemClock.Instance);
        Console.WriteLine($"on-us authorizer: {authorizer.PartitionCount} partitions, {callers} callers, {accountCount} accounts, {Environment.ProcessorCount} cores, {seconds} s a round, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        for (int round = 0; round < 2; round++)
        {
            foreach (bool secured in new[] { false, true })
            {
                // CPU time of this process per decision: on a shared, loaded machine the wall-clock rate says more about
                // the neighbours than about the authorizer; the process's own CPU time per decision does not.
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                long count = await RoundAsync(authorizer, snapshot, terminal, cards, callers, secured, TimeSpan.FromSeconds(seconds));
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                double perSecond = count / (double)seconds;
                Console.WriteLine($"  {(secured ? "pin+cvv" : "state  ")}: {perSecond,10:N0} decisions/s wall clock   {cpu.TotalMicroseconds / count,7:N2} µs CPU each (whole process)");
            }
        }
        return 0;
    }

    private static async Task<long> RoundAsync(OnUsAuthorizer authorizer, MasterDataSnapshot snapshot, TerminalProfile terminal, List<Card> cards, int callers, bool secured, TimeSpan length)
    {
        long total = 0;
        long end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        long sequence = 0;
        var workers = Enumerable.Range(0, callers).Select(w => Task.Run(async () =>
        {
            long done = 0;
            var random = new Random(w);
            while (Stopwatch.GetTimestamp() < end)
            {
                var card = cards[random.Next(cards.Count)];
                long n = Interlocked.Increment(ref sequence);
                var txn = new CardTransaction
                {
                    TransactionId = "b-" + n.ToString(CultureInfo.InvariantCulture),
                    Mti = "0200",
                    Kind = TransactionKind.Purchase,
                    Pan = card.Pan,
                    ProcessingCode = "000000",
                    AmountMinor = 100,
                    CurrencyNumeric = 840,
                    TransmissionDateTime = "1204101112",
                    Stan = (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture),
                    Expiry = "3012",
                    AcquirerId = "123456",
                    TerminalId = "TERM0002",
                    Track2 = secured ? card.Track2 : null,
                    PinBlock = secured ? card.PinBlock : default,
                };
                var decision = await authorizer.AuthorizeAsync(new OnUsRequest { Transaction = txn, Terminal = terminal, MasterData = snapshot, PanHashHex = card.Hash }, CancellationToken.None);
                if (decision.ResponseCode != "00") throw new InvalidOperationException($"expected 00, got {decision.ResponseCode}");
                authorizer.Commit(decision);
                done++;
            }
            Interlocked.Add(ref total, done);
        })).ToArray();
        await Task.WhenAll(workers);
        return total;
    }

    private static char LuhnDigit(string body)
    {
        int sum = 0;
        for (int i = 0; i < body.Length; i++)
        {
            int d = body[body.Length - 1 - i] - '0';
            if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }
}
