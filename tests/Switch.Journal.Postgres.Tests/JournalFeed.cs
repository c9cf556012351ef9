using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Pan;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// librdkafka's mock cluster with the journal topic, and a producer that journals approved transactions the way the
/// switch does (key = transaction id, value = the encoded event). Test PAN only, never printed in clear.
/// </summary>
public sealed class JournalFeed : IDisposable
{
    public const string Topic = "switch.journal";
    private const string TestPan = "4761739001010010";
    private static readonly PanProtector Protector = new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
    private readonly IProducer<byte[], byte[]> _producer;
    private long _sequence;
    private int _txn;

    public JournalFeed(int partitions = 4)
    {
        Partitions = partitions;
        Cluster = new MockKafkaCluster(3);
        Cluster.CreateTopic(Topic, partitions, 3);
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers, Acks = Acks.All, EnableIdempotence = true, LingerMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        Node = (uint)Random.Shared.Next(1, 1000);
    }

    public MockKafkaCluster Cluster { get; }

    /// <summary>Partitions of the journal topic.</summary>
    public int Partitions { get; }

    public uint Node { get; }

    /// <summary>Every event id produced, in order (resends included once).</summary>
    public List<EventId> Produced { get; } = [];

    /// <summary>Transaction ids produced.</summary>
    public List<string> Transactions { get; } = [];

    /// <summary>Journals <paramref name="count"/> approved authorizations (four legs each) and waits for Kafka's acks.</summary>
    public List<(EventId Id, byte[] Value, string Txn)> ProduceApproved(int count)
    {
        var sent = new List<(EventId, byte[], string)>();
        for (int i = 0; i < count; i++)
        {
            string txn = $"txn-{Node}-{Interlocked.Increment(ref _txn):D7}";
            Transactions.Add(txn);
            foreach (var (kind, mti, rc) in new[] { (LegKind.RequestIn, "0100", ""), (LegKind.RequestOut, "0100", ""), (LegKind.ResponseIn, "0110", "00"), (LegKind.ResponseOut, "0110", "00") })
            {
                var id = new EventId(Node, Interlocked.Increment(ref _sequence));
                byte[] value = JournalEventCodec.Encode(id, Event(txn, kind, mti, rc, i));
                sent.Add((id, value, txn));
                Produced.Add(id);
            }
        }
        Send(sent);
        return sent;
    }

    /// <summary>Each partition's end (high watermark): the offset the next record would get.</summary>
    public long[] EndOffsets()
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = Cluster.BootstrapServers, GroupId = "switch-test-watermarks",
        }).SetLogHandler((_, _) => { }).Build();
        return [.. Enumerable.Range(0, Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(10)).High.Value)];
    }

    /// <summary>Sends records again as they were (a spool resend after a fatal producer error, F5).</summary>
    public void Resend(IEnumerable<(EventId Id, byte[] Value, string Txn)> records) => Send(records.ToList());

    /// <summary>Sends raw bytes as a journal record (for undecodable input).</summary>
    public void SendRaw(string key, byte[] value) =>
        _producer.ProduceAsync(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value }).GetAwaiter().GetResult();

    private void Send(List<(EventId Id, byte[] Value, string Txn)> records)
    {
        var acks = records.Select(r => _producer.ProduceAsync(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(r.Txn), Value = r.Value })).ToArray();
        Task.WaitAll(acks, TimeSpan.FromSeconds(60));
        foreach (var a in acks) Assert.Equal(PersistenceStatus.Persisted, a.Result.Status);
    }

    private static JournalEvent Event(string txn, LegKind kind, string mti, string rc, int i) => new()
    {
        Kind = kind,
        TransactionId = txn,
        TimeUtc = new DateTime(2026, 12, 4, 18, 0, 0, DateTimeKind.Utc).AddMilliseconds(i * 10 + (int)kind),
        Mti = mti,
        ProcessingCode = "000000",
        PanMasked = PanProtector.Mask(TestPan),
        PanHash = Protector.Hash(TestPan),
        PanEncrypted = Protector.Encrypt(TestPan),
        AmountMinor = 1_000 + i,
        CurrencyNumeric = 978,
        Stan = (i % 1_000_000).ToString("D6"),
        Rrn = $"6338{i:D8}",
        TerminalId = $"TERM{i % 10:D4}",
        AcquirerId = "12345678901",
        ResponseCode = rc,
        ApprovalCode = rc == "00" ? "A1B2C3" : "",
    };

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        Cluster.Dispose();
    }
}
