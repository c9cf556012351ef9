using System.Diagnostics;
using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>
/// A journal on a temp spool against a mock cluster the test owns (so the cluster outlives journal restarts, as a
/// real cluster would), plus the exactly-once audit: consume the topic and count by event id.
/// </summary>
internal sealed class KafkaJournalFixture : IDisposable
{
    public const string Topic = "switch.journal.test";
    private readonly TempDir _dir = new("sjk");

    public KafkaJournalFixture(int partitions = 3, Action<JournalOptions>? configure = null)
    {
        Cluster = new MockKafkaCluster(3);
        Options = new JournalOptions
        {
            NodeId = 1,
            Spool = SpoolWriteTests.Options(_dir.Path),
            Kafka = new KafkaOptions
            {
                BootstrapServers = Cluster.BootstrapServers, Topic = Topic, Partitions = partitions, ReplicationFactor = 3,
                MessageTimeoutMs = 10_000, RequestTimeoutMs = 2_000, LingerMs = 2, RetryBackoffMs = 100, FlushTimeoutMs = 2_000,
            },
        };
        configure?.Invoke(Options);
        Cluster.CreateTopic(Topic, partitions, 3);
        Journal = Open();
    }

    public MockKafkaCluster Cluster { get; }
    public LogCapture Log { get; } = new();
    public JournalOptions Options { get; }
    public Journal Journal { get; private set; }
    public string SpoolDirectory => _dir.Path;
    public List<long> Acknowledged { get; } = [];
    public List<double> LatenciesMs { get; } = [];

    public Journal Open(ISpoolStorage? storage = null, Action<Exception>? fatal = null) =>
        Journal = Switch.Journal.Journal.Open(Options, Log.Logger, storage, fatal ?? (ex => throw new InvalidOperationException("fatal in test", ex)));

    public Journal Restart()
    {
        Journal.Dispose();
        return Open();
    }

    /// <summary>Appends <paramref name="count"/> transactions (two events each), paced, recording acknowledged sequences and latency.</summary>
    public async Task Burst(int count, int perSecond, string prefix, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            string txn = $"{prefix}-{i}";
            long t0 = Stopwatch.GetTimestamp();
            await Journal.AppendAsync([SampleEvents.Approval(txn, LegKind.RequestIn), SampleEvents.Approval(txn)], ct);
            LatenciesMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            long last = Journal.Spool.LastAssigned;
            lock (Acknowledged) Acknowledged.AddRange([last - 1, last]);
            double due = (i + 1) * 1000.0 / perSecond;
            double wait = due - sw.Elapsed.TotalMilliseconds;
            if (wait > 1) await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
        }
    }

    public double P99Ms() => LatenciesMs.Count == 0 ? 0 : LatenciesMs.Order().ElementAt((int)(LatenciesMs.Count * 0.99));

    public async Task WaitForwarded(TimeSpan timeout)
    {
        long last = Journal.Spool.LastAssigned;
        await Journal.Forwarder.WaitAckedAsync(last).WaitAsync(timeout);
    }

    /// <summary>I1 in Kafka: every acknowledged event is in the topic, once after dedup by event id. Returns (distinct, duplicates).</summary>
    /// <remarks>
    /// <paramref name="inSpoolOrder"/>: also check that, after dropping repeats, sequences rise within each partition.
    /// Not checked after a fatal producer error or request timeouts under slow brokers: there the old producer's
    /// batches and the resend (or librdkafka's retries against the mock) can land in another order, which is why
    /// consumers order one node's events by sequence, not by offset (docs/journal.md).
    /// </remarks>
    public (int Distinct, int Duplicates) AssertEveryAcknowledgedEventOnceAfterDedup(bool inSpoolOrder = true)
    {
        List<KafkaJournalMessage> all = KafkaTopicScan.ReadAll(Cluster.BootstrapServers, Topic, TimeSpan.FromSeconds(30), CancellationToken.None);
        var byId = all.GroupBy(m => m.Record.Id).ToDictionary(g => g.Key, g => g.Count());
        long[] acked;
        lock (Acknowledged) acked = [.. Acknowledged];
        foreach (long seq in acked) Assert.True(byId.ContainsKey(new EventId(1, seq)), $"acknowledged event 1-{seq} is missing from Kafka");
        // In spool order per partition: after dropping repeats, sequences rise within each partition.
        foreach (IGrouping<int, KafkaJournalMessage> p in all.GroupBy(m => m.Partition).Where(_ => inSpoolOrder))
        {
            var seen = new HashSet<long>();
            long previous = 0;
            foreach (KafkaJournalMessage m in p.OrderBy(m => m.Offset))
            {
                if (!seen.Add(m.Record.Id.Sequence)) continue;
                Assert.True(m.Record.Id.Sequence > previous, $"partition {p.Key}: {m.Record.Id.Sequence} after {previous}");
                previous = m.Record.Id.Sequence;
            }
        }
        // No full PAN reached Kafka or the journal's log (I4).
        Assert.All(all, m => Assert.Equal("476173******0010", m.Record.Event.PanMasked));
        Assert.DoesNotContain(Log.Events, e => e.RenderMessage().Contains(SampleEvents.TestPan, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(SampleEvents.TestPan, StringComparison.Ordinal) ?? false));
        return (byId.Count, all.Count - byId.Count);
    }

    public void Dispose()
    {
        Journal.Dispose();
        Cluster.Dispose();
        _dir.Dispose();
    }
}
