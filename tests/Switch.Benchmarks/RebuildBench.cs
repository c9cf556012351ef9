using System.Diagnostics;
using System.Globalization;
using Serilog.Core;
using Switch.Core;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.Metrics;
using Switch.Core.Pipeline;
using Switch.Core.State;
using Switch.Core.Time;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Network.Connector;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Benchmarks;

/// <summary>
/// The start-up rebuild with and without a core state snapshot (Stopwatch harness): <c>rebuild [transactions]
/// [accounts]</c>. Journals N on-us purchases (RequestIn, BalanceDebit into the reversal index, ResponseOut) on a
/// temp spool, then times (a) a replay from 0 into a fresh core state, (b) a snapshot taken at 99 % of the records
/// read back plus the replay of the last 1 %. The Postgres read of the snapshot row is not in (b).
/// </summary>
public static class RebuildBench
{
    /// <summary>Runs the harness and prints the two times.</summary>
    public static int Run(string[] args)
    {
        int transactions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        int accounts = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        return RunAsync(transactions, accounts).GetAwaiter().GetResult();
    }

    private sealed class Ring : IKeyRing
    {
        public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct) => throw new KeyNotFoundException(name);
    }

    private static async Task<int> RunAsync(int transactions, int accounts)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rebuild-bench-" + Environment.ProcessId);
        var options = new CoreOptions { Partitions = 2 };
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        using var pans = new PanProtector(new byte[32], new byte[32]);
        var connectors = new Dictionary<string, IsoConnector>(StringComparer.Ordinal);
        try
        {
            using var journal = Switch.Journal.Journal.Open(new JournalOptions
            {
                Spool = new SpoolOptions { Directory = dir, SegmentBytesMax = 256L * 1024 * 1024, SpoolBytesMax = 16L << 30, DeleteRequiresProjection = false, RetentionMs = 3_600_000 },
                Kafka = new KafkaOptions { BootstrapServers = "mock", MockBrokers = 1, Partitions = 1, ReplicationFactor = 1, MinInsyncReplicas = 1 },
            }, Logger.None);
            await AppendAsync(journal, transactions, accounts);
            long last = journal.Spool.DurableThrough;
            CoreState New() => new(new OnUsAuthorizer(options, module, new Ring(), SystemClock.Instance),
                new IssuerGateway(options, connectors, module, new Ring(), journal, pans, SystemClock.Instance, NoCoreMetrics.Instance, Logger.None),
                new DuplicateMemory(options, SystemClock.Instance));

            var sw = Stopwatch.StartNew();
            await using (var full = New()) await FoldAsync(full, journal, 0, long.MaxValue);
            double fromZeroMs = sw.Elapsed.TotalMilliseconds;

            long at = last * 99 / 100;
            byte[] snapshot;
            await using (var shadow = New())
            {
                await FoldAsync(shadow, journal, 0, at);
                snapshot = await shadow.WriteAsync(0, "bench", CancellationToken.None);
            }
            sw.Restart();
            await using (var rebuilt = New())
            {
                if (!await rebuilt.ReadAsync(snapshot, 0, "bench", CancellationToken.None)) throw new InvalidOperationException("snapshot refused");
                await FoldAsync(rebuilt, journal, at + 1, long.MaxValue);
            }
            double fromSnapshotMs = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rebuild: {transactions} transactions, {last} records, {accounts} accounts: from 0 {fromZeroMs:F0} ms; snapshot ({snapshot.Length / 1024} KiB) at {at} + replay of {last - at} records {fromSnapshotMs:F0} ms; ratio {fromZeroMs / fromSnapshotMs:F1}"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task FoldAsync(CoreState state, Switch.Journal.Journal journal, long from, long through)
    {
        await foreach (var record in journal.ReadAsync(from, CancellationToken.None))
        {
            if (record.Id.Sequence > through) break;
            state.Apply(record);
        }
        await state.DrainAsync(CancellationToken.None);
    }

    private static async Task AppendAsync(Switch.Journal.Journal journal, int transactions, int accounts)
    {
        var now = DateTime.UtcNow;
        int day = (now.Year * 100 + now.Month) * 100 + now.Day;
        var pending = new List<Task>(512);
        for (int i = 0; i < transactions; i++)
        {
            string txn = "bench-" + i.ToString(CultureInfo.InvariantCulture);
            string stan = (i % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
            string de7 = now.AddSeconds(-(i / 1_000_000)).ToString("MMddHHmmss", CultureInfo.InvariantCulture);
            string terminal = "T" + (i / 1_000_000).ToString("D7", CultureInfo.InvariantCulture);
            string account = "ACC-" + (i % accounts).ToString(CultureInfo.InvariantCulture);
            JournalEvent[] events =
            [
                new() { Kind = LegKind.RequestIn, TransactionId = txn, TimeUtc = now, Mti = "0200", Stan = stan, TerminalId = terminal, AmountMinor = 100, CurrencyNumeric = 840 },
                new() { Kind = LegKind.BalanceDebit, TransactionId = txn, TimeUtc = now, Mti = "0200", Stan = stan, TerminalId = terminal, AmountMinor = 100, CurrencyNumeric = 840,
                    AccountId = account, ResponseCode = "00", Destination = "on-us", Detail = $"day={day};dd=100;r=0200.{stan}.{de7}.00000123456.{terminal}" },
                new() { Kind = LegKind.ResponseOut, TransactionId = txn, TimeUtc = now, Mti = "0210", Stan = stan, TerminalId = terminal, ResponseCode = "00",
                    AcquirerId = "123456", Detail = ResponseDetail.Format(de7, null) },
            ];
            pending.Add(journal.AppendAsync(events, CancellationToken.None).AsTask());
            if (pending.Count == 512)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }
}
