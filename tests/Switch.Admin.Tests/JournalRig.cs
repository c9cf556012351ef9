using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Spool;

namespace Switch.Admin.Tests;

/// <summary>A real journal on a temp spool with librdkafka's mock cluster, on storage whose disk can be made full.</summary>
internal sealed class JournalRig : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switch-admin-" + Guid.NewGuid().ToString("N")[..10]);

    public JournalRig()
    {
        Directory.CreateDirectory(_dir);
        var options = new JournalOptions
        {
            NodeId = 1,
            Spool = new SpoolOptions { Directory = _dir, SegmentBytesMax = 1024 * 1024, SpoolBytesMax = 100L * 1024 * 1024, GroupBytesMax = 64 * 1024, RetentionMs = 0, DiskFullProbeMs = 20 },
            Kafka = new KafkaOptions { BootstrapServers = "mock", MockBrokers = 1, Topic = "switch.journal.admin", Partitions = 1, ReplicationFactor = 1, MinInsyncReplicas = 1 },
        };
        Journal = global::Switch.Journal.Journal.Open(options, TestLog.Logger, Storage, ex => throw new InvalidOperationException("fatal in test", ex));
    }

    public FullDiskStorage Storage { get; } = new();

    public global::Switch.Journal.Journal Journal { get; }

    public static JournalEvent Event(string transactionId) => new()
    {
        Kind = LegKind.ResponseOut, TransactionId = transactionId, TimeUtc = DateTime.UtcNow, Mti = "0210", ProcessingCode = "000000",
        PanMasked = "476173******0010", AmountMinor = 100, CurrencyNumeric = 978, Stan = "000001", TerminalId = "TERM0001", ResponseCode = "00",
    };

    public void Dispose()
    {
        Journal.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}

/// <summary>The real file storage with a switchable full disk (ENOSPC on every write).</summary>
internal sealed class FullDiskStorage : ISpoolStorage
{
    private readonly ISpoolStorage _inner = FileSpoolStorage.Instance;

    public volatile bool DiskFull;

    public void CreateDirectory(string directory) => _inner.CreateDirectory(directory);
    public IReadOnlyList<string> List(string directory, string suffix) => _inner.List(directory, suffix);
    public ISpoolFile Open(string path) => new File(this, _inner.Open(path));
    public ISpoolFile OpenRead(string path) => _inner.OpenRead(path);
    public void Delete(string path) => _inner.Delete(path);
    public byte[]? ReadSmall(string path, int bytesMax) => _inner.ReadSmall(path, bytesMax);
    public void SyncDirectory(string directory) => _inner.SyncDirectory(directory);

    public void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        if (DiskFull) throw Enospc();
        _inner.WriteDurably(path, bytes);
    }

    private static IOException Enospc() => new("No space left on device", 28);

    private sealed class File(FullDiskStorage owner, ISpoolFile inner) : ISpoolFile
    {
        public long Length => inner.Length;
        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            if (owner.DiskFull) throw Enospc();
            inner.Write(offset, bytes);
        }

        public void Flush() => inner.Flush();
        public void SetLength(long length) => inner.SetLength(length);
        public void Dispose() => inner.Dispose();
    }
}
