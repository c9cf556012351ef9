using Confluent.Kafka;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Kafka;

namespace Switch.Journal.Tests;

public sealed class MockClusterTests
{
    [Fact]
    public void The_fault_api_binds_to_the_librdkafka_file_confluent_loaded()
    {
        string path = MockKafkaCluster.NativeLibraryPath;
        Assert.Contains("librdkafka", path, StringComparison.Ordinal);
        int mapped = File.ReadLines("/proc/self/maps").Where(l => l.Contains("librdkafka", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf('/', StringComparison.Ordinal)..]).Distinct().Count();
        Assert.Equal(1, mapped); // one copy of librdkafka in the process, not two
    }

    [Fact]
    public async Task An_idempotent_producer_writes_events_that_a_scan_reads_back_once_each()
    {
        using var cluster = new MockKafkaCluster(3);
        Assert.Equal(3, cluster.BootstrapServers.Split(',').Length);
        cluster.CreateTopic("t1", 3, 3);
        using (IProducer<byte[], byte[]> p = Producer(cluster.BootstrapServers))
        {
            for (int i = 1; i <= 50; i++)
            {
                byte[] value = JournalEventCodec.Encode(new EventId(1, i), SampleEvents.Approval("txn-" + (i % 7)));
                DeliveryResult<byte[], byte[]> r = await p.ProduceAsync("t1", new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes("txn-" + (i % 7)), Value = value }, CancellationToken.None);
                Assert.Equal(PersistenceStatus.Persisted, r.Status);
            }
        }
        List<KafkaJournalMessage> all = KafkaTopicScan.ReadAll(cluster.BootstrapServers, "t1", TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), all.Select(m => m.Record.Id.Sequence).Order());
        // Keyed by transaction: one transaction's events share a partition.
        Assert.All(all.GroupBy(m => m.Record.Event.TransactionId), g => Assert.Single(g.Select(m => m.Partition).Distinct()));
    }

    [Fact]
    public async Task A_broker_set_down_delays_delivery_and_set_up_releases_it()
    {
        using var cluster = new MockKafkaCluster(3);
        cluster.CreateTopic("t2", 1, 3);
        cluster.SetLeader("t2", 0, 1);
        using IProducer<byte[], byte[]> p = Producer(cluster.BootstrapServers);
        await p.ProduceAsync("t2", Msg(1), CancellationToken.None);
        cluster.SetBrokerDown(1);
        Task<DeliveryResult<byte[], byte[]>> late = p.ProduceAsync("t2", Msg(2), CancellationToken.None);
        await Task.Delay(1500);
        Assert.False(late.IsCompleted);
        cluster.SetBrokerUp(1);
        Assert.Equal(PersistenceStatus.Persisted, (await late.WaitAsync(TimeSpan.FromSeconds(20))).Status);
    }

    [Fact]
    public void The_bootstrap_address_is_written_for_other_processes()
    {
        using var cluster = new MockKafkaCluster(1);
        string dir = Path.Combine(Path.GetTempPath(), "sj-boot-" + Guid.NewGuid().ToString("N"));
        try
        {
            string file = cluster.WriteBootstrapFile(dir);
            Assert.Equal(cluster.BootstrapServers, File.ReadAllText(file).Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_disposed_cluster_refuses_fault_calls()
    {
        var cluster = new MockKafkaCluster(1);
        cluster.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cluster.SetBrokerDown(1));
    }

    private static Message<byte[], byte[]> Msg(long seq) => new()
    {
        Key = "k"u8.ToArray(),
        Value = JournalEventCodec.Encode(new EventId(1, seq), SampleEvents.Approval("k")),
    };

    private static IProducer<byte[], byte[]> Producer(string bootstrap) => new ProducerBuilder<byte[], byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrap, Acks = Acks.All, EnableIdempotence = true, LingerMs = 2, MessageTimeoutMs = 30_000,
        RequestTimeoutMs = 2_000, RetryBackoffMs = 100,
    }).SetLogHandler((_, _) => { }).Build();
}
