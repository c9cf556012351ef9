using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using HdrHistogram;
using Serilog.Core;
using Switch.Benchmarks.Proto;
using Switch.Journal;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Pan;

namespace Switch.Benchmarks;

/// <summary>Journal event encoding: the hand layout against Protocol Buffers (same fields), per event.</summary>
[MemoryDiagnoser]
public class JournalCodecBenchmarks
{
    private readonly byte[] _buffer = new byte[JournalEventCodec.EncodedBytesMax];
    private JournalEvent _event = null!;
    private byte[] _hand = null!;
    private byte[] _proto = null!;

    /// <summary>A typical approval leg with PAN hash and ciphertext.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _event = JournalBench.Sample("txn-000000001");
        _hand = JournalEventCodec.Encode(new EventId(1, 42), _event);
        _proto = ToProto(new EventId(1, 42), _event).ToByteArray();
        Console.WriteLine($"// encoded bytes: hand {_hand.Length}, protobuf {_proto.Length}");
    }

    /// <summary>Hand layout into a reused buffer (what the spool does).</summary>
    [Benchmark(Baseline = true)]
    public int Encode_hand_layout() => JournalEventCodec.Encode(new EventId(1, 42), _event, _buffer);

    /// <summary>Protocol Buffers: build the message from the event, then write it into the same buffer.</summary>
    [Benchmark]
    public int Encode_protobuf()
    {
        JournalEventPb pb = ToProto(new EventId(1, 42), _event);
        int n = pb.CalculateSize();
        pb.WriteTo(_buffer.AsSpan(0, n));
        return n;
    }

    /// <summary>Hand layout decode.</summary>
    [Benchmark]
    public JournalRecord Decode_hand_layout() => JournalEventCodec.Decode(_hand);

    /// <summary>Protocol Buffers decode (to the generated message only).</summary>
    [Benchmark]
    public JournalEventPb Decode_protobuf() => JournalEventPb.Parser.ParseFrom(_proto);

    /// <summary>The event as the generated protobuf message.</summary>
    public static JournalEventPb ToProto(EventId id, JournalEvent e) => new()
    {
        NodeId = id.NodeId, Sequence = id.Sequence, Kind = (uint)e.Kind, TransactionId = e.TransactionId, TimeUtcTicks = e.TimeUtc.Ticks,
        LatencyUs = e.LatencyUs, Mti = e.Mti, ProcessingCode = e.ProcessingCode, PanMasked = e.PanMasked,
        PanHash = ByteString.CopyFrom(e.PanHash.Span), PanEncrypted = ByteString.CopyFrom(e.PanEncrypted.Span),
        AmountMinor = e.AmountMinor, CurrencyNumeric = e.CurrencyNumeric, Stan = e.Stan, Rrn = e.Rrn, TerminalId = e.TerminalId,
        MerchantId = e.MerchantId, AcquirerId = e.AcquirerId, Route = e.Route, Destination = e.Destination,
        ResponseCode = e.ResponseCode, ApprovalCode = e.ApprovalCode, AccountId = e.AccountId, Detail = e.Detail,
    };
}

/// <summary>
/// Durable appends per second through <see cref="Switch.Journal.Journal"/> with its mock Kafka cluster: A appenders, each awaiting
/// durability of E events per append, for S seconds. Prints events/s, append latency (p50/p99/p99.9), appends per
/// fsync, and how far Kafka followed. Usage: journal [--mode spool|kafka] [--seconds S] [--appenders A] [--events E] [--dir D]
/// [--bootstrap host:port] (default: the mock cluster; an unreachable address measures the spool with the forwarder idle)
/// </summary>
public static class JournalBench
{
    private static readonly PanProtector Protector = new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));

    /// <summary>A typical approval leg (test PAN).</summary>
    public static JournalEvent Sample(string txn) => new()
    {
        Kind = LegKind.ResponseOut, TransactionId = txn, TimeUtc = DateTime.UtcNow, LatencyUs = 850, Mti = "0210", ProcessingCode = "000000",
        PanMasked = "476173******0010", PanHash = Protector.Hash("4761739001010010"), PanEncrypted = Protector.Encrypt("4761739001010010"),
        AmountMinor = 12_345, CurrencyNumeric = 978, Stan = "000123", Rrn = "633812000123", TerminalId = "TERM0001",
        MerchantId = "MERCHANT0000001", AcquirerId = "12345678901", Route = "visa-main", Destination = "issuer-a", ResponseCode = "00", ApprovalCode = "A1B2C3",
    };

    /// <summary>Runs one measurement and prints a table row.</summary>
    public static int Run(string[] args)
    {
        string mode = Text(args, "--mode") ?? "spool";
        double seconds = Number(args, "--seconds", 5);
        int appenders = (int)Number(args, "--appenders", 256);
        int events = (int)Number(args, "--events", 1);
        string dir = Text(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "journal-bench-" + Environment.ProcessId);
        var options = new JournalOptions
        {
            Mode = mode,
            Spool = new SpoolOptions { Directory = dir, SegmentBytesMax = 256L * 1024 * 1024, SpoolBytesMax = 16L << 30, GroupBytesMax = 4 * 1024 * 1024, DeleteRequiresProjection = false, RetentionMs = 0 },
            Kafka = new KafkaOptions { BootstrapServers = Text(args, "--bootstrap") ?? "mock", Partitions = 6, LingerMs = 5, InFlightMax = 200_000, AckWaitMs = 1_000 },
        };
        try
        {
            using var journal = Switch.Journal.Journal.Open(options, Logger.None);
            JournalEvent[] batch = Enumerable.Range(0, events).Select(i => Sample("bench-txn-" + i)).ToArray();
            Measure(journal, batch, appenders, TimeSpan.FromSeconds(1)); // warm-up
            long fsyncs0 = journal.Spool.Fsyncs, records0 = journal.Spool.Records, acked0 = journal.Forwarder.AckedThrough;
            (long appends, LongHistogram h, TimeSpan took) = Measure(journal, batch, appenders, TimeSpan.FromSeconds(seconds));
            long fsyncs = journal.Spool.Fsyncs - fsyncs0;
            long records = journal.Spool.Records - records0;
            long forwarded = journal.Forwarder.AckedThrough - acked0;
            double eps = appends * events / took.TotalSeconds;
            Console.WriteLine("| mode | appenders x events | events/s | p50 us | p99 us | p99.9 us | appends/fsync | Kafka acked events/s during run |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {appenders} x {events} | {eps:N0} | {h.GetValueAtPercentile(50)} | {h.GetValueAtPercentile(99)} | {h.GetValueAtPercentile(99.9)} | {(fsyncs == 0 ? 0 : (double)records / events / fsyncs):N1} | {forwarded / took.TotalSeconds:N0} |"));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    private static (long Appends, LongHistogram Histogram, TimeSpan Took) Measure(Switch.Journal.Journal journal, JournalEvent[] batch, int appenders, TimeSpan duration)
    {
        var histograms = new LongHistogram[appenders];
        long total = 0;
        var sw = Stopwatch.StartNew();
        var tasks = new Task[appenders];
        for (int a = 0; a < appenders; a++)
        {
            var h = histograms[a] = new LongHistogram(TimeStamp.Seconds(30), 3);
            tasks[a] = Task.Run(async () =>
            {
                long n = 0;
                while (sw.Elapsed < duration)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await journal.AppendAsync(batch, CancellationToken.None);
                    h.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(t0).TotalMicroseconds));
                    n++;
                }
                Interlocked.Add(ref total, n);
            });
        }
        Task.WaitAll(tasks);
        TimeSpan took = sw.Elapsed;
        var all = new LongHistogram(TimeStamp.Seconds(30), 3);
        foreach (LongHistogram h in histograms) all.Add(h);
        return (total, all, took);
    }

    private static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static double Number(string[] args, string name, double fallback) =>
        Text(args, name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
