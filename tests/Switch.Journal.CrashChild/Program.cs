using System.Security.Cryptography;
using Serilog.Core;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Journal.Spool;

// Test-only child for the crash tests. Usage: MODE SPOOL_DIR BOOTSTRAP TOPIC SEED COUNT
//   append      append COUNT random transactions; print "ack FIRST LAST TXN" once each is durable (the parent may SIGKILL any time)
//   fsync-fail  like append, but fsync starts failing after COUNT appends: the journal's fatal handler ends the process
//   drain       open the journal, wait until Kafka acknowledged everything in the spool, print "drained N", exit 0
if (args.Length != 6)
{
    Console.Error.WriteLine("usage: MODE SPOOL_DIR BOOTSTRAP TOPIC SEED COUNT");
    return 2;
}
string mode = args[0];
int seed = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
int count = int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture);
var options = new JournalOptions
{
    NodeId = 1,
    Spool = new SpoolOptions { Directory = args[1], SegmentBytesMax = 256 * 1024, SpoolBytesMax = 1L << 30, GroupBytesMax = 64 * 1024, RetentionMs = 0 },
    Kafka = new KafkaOptions { BootstrapServers = args[2], Topic = args[3], Partitions = 3, MessageTimeoutMs = 10_000, RequestTimeoutMs = 2_000, FlushTimeoutMs = 2_000 },
};
var storage = new SwitchableStorage();
using Journal journal = Journal.Open(options, Logger.None, storage);
if (mode == "drain")
{
    await journal.Forwarder.WaitAckedAsync(journal.Spool.DurableThrough).WaitAsync(TimeSpan.FromSeconds(60));
    Console.WriteLine($"drained {journal.Forwarder.AckedThrough}");
    return 0;
}
using var protector = new PanProtector(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
var rng = new Random(seed);
for (int i = 0; i < count || mode == "fsync-fail"; i++)
{
    if (mode == "fsync-fail" && i == count) storage.FsyncFails = true;
    string txn = $"s{seed}-p{Environment.ProcessId}-{i}";
    int n = rng.Next(1, 5);
    var events = new JournalEvent[n];
    for (int k = 0; k < n; k++)
        events[k] = new JournalEvent
        {
            Kind = k == n - 1 ? LegKind.ResponseOut : LegKind.RequestIn, TransactionId = txn, TimeUtc = DateTime.UtcNow,
            Mti = "0200", PanMasked = "476173******0010", PanHash = protector.Hash("4761739001010010"), AmountMinor = rng.Next(1, 100_000),
            CurrencyNumeric = 978, Stan = (i % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture), ResponseCode = "00",
        };
    await journal.AppendAsync(events, CancellationToken.None);
    long lastSeq = journal.Spool.LastAssigned; // one appender: the last assigned sequence is this append's
    Console.WriteLine($"ack {lastSeq - n + 1} {lastSeq} {txn}");
    Console.Out.Flush();
}
Console.WriteLine("done");
return 0;

/// <summary>The real file storage, with an fsync that can be made to fail (F15).</summary>
internal sealed class SwitchableStorage : ISpoolStorage
{
    private readonly ISpoolStorage _inner = FileSpoolStorage.Instance;
    public volatile bool FsyncFails;
    public void CreateDirectory(string directory) => _inner.CreateDirectory(directory);
    public IReadOnlyList<string> List(string directory, string suffix) => _inner.List(directory, suffix);
    public ISpoolFile Open(string path) => new File(this, _inner.Open(path));
    public ISpoolFile OpenRead(string path) => _inner.OpenRead(path);
    public void Delete(string path) => _inner.Delete(path);
    public void WriteDurably(string path, ReadOnlySpan<byte> bytes) => _inner.WriteDurably(path, bytes);
    public byte[]? ReadSmall(string path, int bytesMax) => _inner.ReadSmall(path, bytesMax);
    public void SyncDirectory(string directory) => _inner.SyncDirectory(directory);

    private sealed class File(SwitchableStorage owner, ISpoolFile inner) : ISpoolFile
    {
        public long Length => inner.Length;
        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);
        public void Write(long offset, ReadOnlySpan<byte> bytes) => inner.Write(offset, bytes);
        public void SetLength(long length) => inner.SetLength(length);
        public void Dispose() => inner.Dispose();

        public void Flush()
        {
            if (owner.FsyncFails) throw new IOException("Input/output error (injected)", 5);
            inner.Flush();
        }
    }
}
