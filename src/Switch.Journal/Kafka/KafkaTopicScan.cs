using Confluent.Kafka;
using Switch.Journal.Codec;
using Switch.Journal.Events;

namespace Switch.Journal.Kafka;

/// <summary>One journal message read back from Kafka: where it was and the decoded record.</summary>
public sealed record KafkaJournalMessage(int Partition, long Offset, JournalRecord Record);

/// <summary>
/// Reads the journal topic from the start of every partition up to the high watermarks seen when the scan starts (a
/// bounded read, for replay, audits and the fault tests' exactly-once counts). No consumer group offsets are committed.
/// </summary>
public static class KafkaTopicScan
{
    /// <summary>Every message of <paramref name="topic"/> up to the current end, per partition in offset order.</summary>
    public static List<KafkaJournalMessage> ReadAll(string bootstrapServers, string topic, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "switch-journal-scan-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            LogConnectionClose = false,
        };
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        List<TopicPartition> partitions = Partitions(bootstrapServers, topic, timeout);
        var ends = new Dictionary<int, long>();
        foreach (TopicPartition tp in partitions)
            ends[tp.Partition.Value] = consumer.QueryWatermarkOffsets(tp, timeout).High.Value;
        var result = new List<KafkaJournalMessage>();
        var pending = partitions.Where(tp => ends[tp.Partition.Value] > 0).ToList();
        if (pending.Count == 0) return result;
        consumer.Assign(pending.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var open = new HashSet<int>(pending.Select(tp => tp.Partition.Value));
        DateTime deadline = DateTime.UtcNow + timeout;
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"reading {topic}: {open.Count} partitions not read to their end within {timeout}");
            ConsumeResult<byte[], byte[]>? r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null) continue;
            int p = r.Partition.Value;
            if (!r.IsPartitionEOF) result.Add(new KafkaJournalMessage(p, r.Offset.Value, JournalEventCodec.Decode(r.Message.Value)));
            if (r.IsPartitionEOF || r.Offset.Value + 1 >= ends[p]) open.Remove(p);
        }
        return result;
    }

    private static List<TopicPartition> Partitions(string bootstrapServers, string topic, TimeSpan timeout)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).SetLogHandler((_, _) => { }).Build();
        Metadata md = admin.GetMetadata(topic, timeout);
        TopicMetadata t = md.Topics.Single(x => x.Topic == topic);
        if (t.Error.IsError) throw new KafkaException(t.Error);
        return t.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
    }
}
