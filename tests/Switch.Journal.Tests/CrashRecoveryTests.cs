using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>F11 and F15 with real processes: the journal runs in a child that is SIGKILLed (or fails its fsync) and is restarted.</summary>
[Collection("kafka")]
public sealed class CrashRecoveryTests
{
    private const string Topic = "switch.journal.crash";

    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    [InlineData(37)]
    public async Task F11_random_appends_and_sigkill_at_random_points_then_replay_lose_nothing_acknowledged_and_double_nothing_after_dedup_I1_I2(int seed)
    {
        using var dir = new TempDir("sjc");
        using var cluster = new MockKafkaCluster(3); // the test's cluster outlives the child, like a real one
        cluster.CreateTopic(Topic, 3, 3);
        var rng = new Random(seed);
        var acked = new List<(long First, long Last, string Txn)>();
        for (int round = 0; round < 3; round++)
        {
            using var child = new CrashChild("append", dir.Path, cluster.BootstrapServers, Topic, seed * 10 + round, 1_000_000);
            await child.WaitForAcks(rng.Next(20, 300), TimeSpan.FromSeconds(60));
            await Task.Delay(rng.Next(0, 50)); // kill at a random point, often in the middle of a group
            child.Kill();
            acked.AddRange(child.Acks);
        }
        using (var drain = new CrashChild("drain", dir.Path, cluster.BootstrapServers, Topic, 0, 0))
            Assert.Equal(0, await drain.WaitForExit(TimeSpan.FromSeconds(90)));

        // The spool: every acknowledged event is there, once, with its transaction (I2: acknowledged means durable).
        var problems = new List<string>();
        List<JournalRecord> spool = SpoolReplay.Read(FileSpoolStorage.Instance, dir.Path, 0, long.MaxValue, problems).ToList();
        Assert.Empty(problems);
        Dictionary<long, string> bySeq = spool.ToDictionary(r => r.Id.Sequence, r => r.Event.TransactionId);
        foreach ((long first, long last, string txn) in acked)
            for (long s = first; s <= last; s++)
                Assert.Equal(txn, bySeq.GetValueOrDefault(s));

        // Kafka: every spooled event once after dedup by event id, and an id never names two different events (I1).
        List<KafkaJournalMessage> kafka = KafkaTopicScan.ReadAll(cluster.BootstrapServers, Topic, TimeSpan.FromSeconds(30), CancellationToken.None);
        foreach (IGrouping<EventId, KafkaJournalMessage> g in kafka.GroupBy(m => m.Record.Id))
            Assert.Single(g.Select(m => m.Record.Event.TransactionId).Distinct());
        Assert.Equal(spool.Select(r => r.Id).Order(), kafka.Select(m => m.Record.Id).Distinct().Order());
    }

    [Fact]
    public async Task F15_an_fsync_error_ends_the_process_and_a_restart_recovers_from_the_last_good_record_I1_I3()
    {
        using var dir = new TempDir("sjf");
        using var cluster = new MockKafkaCluster(3);
        cluster.CreateTopic(Topic, 3, 3);
        (long First, long Last, string Txn)[] acked;
        using (var child = new CrashChild("fsync-fail", dir.Path, cluster.BootstrapServers, Topic, 5, 40))
        {
            int code = await child.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, code); // PANIC semantics: the process ended itself
            acked = child.Acks;
            Assert.Equal(40, acked.Length); // nothing after the failed fsync was acknowledged (I2)
            Assert.Contains(child.Stderr, l => l.Contains("fsync", StringComparison.Ordinal));
        }
        using (var drain = new CrashChild("drain", dir.Path, cluster.BootstrapServers, Topic, 0, 0))
            Assert.Equal(0, await drain.WaitForExit(TimeSpan.FromSeconds(90)));
        Dictionary<long, string> spool = SpoolReplay.Read(FileSpoolStorage.Instance, dir.Path, 0, long.MaxValue).ToDictionary(r => r.Id.Sequence, r => r.Event.TransactionId);
        var kafka = KafkaTopicScan.ReadAll(cluster.BootstrapServers, Topic, TimeSpan.FromSeconds(30), CancellationToken.None).Select(m => m.Record.Id.Sequence).ToHashSet();
        foreach ((long first, long last, string txn) in acked)
            for (long s = first; s <= last; s++)
            {
                Assert.Equal(txn, spool.GetValueOrDefault(s));
                Assert.Contains(s, kafka);
            }
    }
}
