using System.Text.Json.Serialization;
using Switch.Common.Configuration;

namespace Switch.Journal;

/// <summary>The "journal" section of switch.json: durability mode, the local spool, Kafka and the PAN key references.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class JournalOptions
{
    /// <summary>The durability modes (see docs/journal.md, "Guarantees").</summary>
    public static readonly string[] Modes = ["spool", "kafka"];

    /// <summary>This node's id: the first half of every event id it writes (unique per node of a cluster).</summary>
    public uint NodeId { get; set; } = 1;

    /// <summary>"spool": reply after the spool's fsync (default). "kafka": reply after Kafka's acks=all, the spool's fsync when Kafka is slower than <see cref="KafkaOptions.AckWaitMs"/>.</summary>
    public string Mode { get; set; } = "spool";

    /// <summary>The local write-ahead spool.</summary>
    public SpoolOptions Spool { get; set; } = new();

    /// <summary>The Kafka side.</summary>
    public KafkaOptions Kafka { get; set; } = new();

    /// <summary>References (in the key store) of the PAN hash and data keys; the host resolves them.</summary>
    public PanKeyOptions Pan { get; set; } = new();

    /// <summary>Whether the mode is "kafka".</summary>
    [JsonIgnore]
    public bool KafkaMode => Mode == "kafka";

    /// <summary>Binds and validates the section.</summary>
    public static JournalOptions Bind(ConfigSection section)
    {
        JournalOptions o = section.Bind<JournalOptions>();
        o.Validate(section);
        return o;
    }

    /// <summary>Throws <see cref="ConfigException"/> (through <paramref name="section"/>) for the first invalid value.</summary>
    public void Validate(ConfigSection section)
    {
        if (!Modes.Contains(Mode)) throw section.Error("mode", $"is \"{Mode}\"; expected one of {string.Join(", ", Modes)}");
        if (Spool is null) throw section.Error("spool", "is null; expected an object");
        if (Kafka is null) throw section.Error("kafka", "is null; expected an object");
        if (Pan is null) throw section.Error("pan", "is null; expected an object");
        Spool.Validate(section);
        Kafka.Validate(section);
        Pan.Validate(section);
    }
}

/// <summary>The local write-ahead spool: append-only segment files written by one writer with group commit.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SpoolOptions
{
    /// <summary>Directory of the segment files (created if missing).</summary>
    public string Directory { get; set; } = "state/journal";

    /// <summary>A segment is closed and a new one started past this size.</summary>
    public long SegmentBytesMax { get; set; } = 64L * 1024 * 1024;

    /// <summary>Bytes of all segments on disk; past it appends are refused (the pipeline declines) and readiness says why.</summary>
    public long SpoolBytesMax { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Bytes one group commit may gather; appenders wait (briefly) while the next group is this full.</summary>
    public int GroupBytesMax { get; set; } = 1024 * 1024;

    /// <summary>How long an append may wait for room in a full group before it is refused.</summary>
    public int AppendWaitMs { get; set; } = 1000;

    /// <summary>A segment forwarded to Kafka and projected is kept this long before it is deleted.</summary>
    public long RetentionMs { get; set; } = 3_600_000;

    /// <summary>fsync each group (true). false only for benchmarks of the write path alone: no durability.</summary>
    public bool Fsync { get; set; } = true;

    /// <summary>While the disk is full, how often the writer checks whether space has returned.</summary>
    public int DiskFullProbeMs { get; set; } = 500;

    /// <summary>Whether a segment waits for the Postgres projection's position before deletion (true unless no projection runs).</summary>
    public bool DeleteRequiresProjection { get; set; } = true;

    internal void Validate(ConfigSection s)
    {
        if (string.IsNullOrWhiteSpace(Directory)) throw s.Error("spool.directory", "is empty");
        if (SegmentBytesMax < 64 * 1024) throw s.Error("spool.segmentBytesMax", "must be at least 65536");
        if (SpoolBytesMax < SegmentBytesMax * 2) throw s.Error("spool.spoolBytesMax", "must be at least two segments (2 × segmentBytesMax)");
        if (GroupBytesMax < 16 * 1024 || GroupBytesMax > 64 * 1024 * 1024) throw s.Error("spool.groupBytesMax", "must be 16384 to 67108864");
        if (GroupBytesMax > SegmentBytesMax) throw s.Error("spool.groupBytesMax", "must not exceed segmentBytesMax");
        if (AppendWaitMs is < 1 or > 60_000) throw s.Error("spool.appendWaitMs", "must be 1 to 60000");
        if (RetentionMs < 0) throw s.Error("spool.retentionMs", "must not be negative");
        if (DiskFullProbeMs is < 10 or > 60_000) throw s.Error("spool.diskFullProbeMs", "must be 10 to 60000");
    }
}

/// <summary>Kafka: a real cluster's bootstrap servers, or "mock" for librdkafka's in-process mock cluster.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class KafkaOptions
{
    /// <summary>"mock" (development, CI, demo) or a real cluster's "host:port,host:port".</summary>
    public string BootstrapServers { get; set; } = "mock";

    /// <summary>Brokers of the mock cluster.</summary>
    public int MockBrokers { get; set; } = 3;

    /// <summary>The journal topic.</summary>
    public string Topic { get; set; } = "switch.journal";

    /// <summary>Partitions of the topic when the journal creates it.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor when the journal creates the topic (3 on a real cluster).</summary>
    public short ReplicationFactor { get; set; } = 3;

    /// <summary>min.insync.replicas of the topic when the journal creates it (2 on a real cluster).</summary>
    public int MinInsyncReplicas { get; set; } = 2;

    /// <summary>linger.ms: how long the producer gathers a batch.</summary>
    public int LingerMs { get; set; } = 2;

    /// <summary>batch.size in bytes.</summary>
    public int BatchBytesMax { get; set; } = 1024 * 1024;

    /// <summary>message.timeout.ms: past it a record comes back as timed out and is resent from the spool.</summary>
    public int MessageTimeoutMs { get; set; } = 10_000;

    /// <summary>request.timeout.ms of the producer.</summary>
    public int RequestTimeoutMs { get; set; } = 2_000;

    /// <summary>Records produced and not yet acknowledged; the forwarder waits beyond this (bounded memory, F6).</summary>
    public int InFlightMax { get; set; } = 50_000;

    /// <summary>After a failed delivery, the pause before the forwarder resends from the spool.</summary>
    public int RetryBackoffMs { get; set; } = 200;

    /// <summary>Kafka mode: how long an append waits for acks=all before the spool's fsync answers instead.</summary>
    public int AckWaitMs { get; set; } = 50;

    /// <summary>Bound on a producer's Flush and Dispose (librdkafka can block far longer).</summary>
    public int FlushTimeoutMs { get; set; } = 5_000;

    /// <summary>Kafka lag (oldest unacknowledged record) past which readiness reports degraded.</summary>
    public int LagAlarmMs { get; set; } = 1_000;

    /// <summary>Whether <see cref="BootstrapServers"/> names the mock cluster.</summary>
    [JsonIgnore]
    public bool IsMock => BootstrapServers == "mock";

    internal void Validate(ConfigSection s)
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers)) throw s.Error("kafka.bootstrapServers", "is empty; \"mock\" or host:port[,host:port]");
        if (!IsMock && BootstrapServers.Split(',').Any(h => !h.Contains(':', StringComparison.Ordinal)))
            throw s.Error("kafka.bootstrapServers", "each server must be host:port");
        if (MockBrokers is < 1 or > 16) throw s.Error("kafka.mockBrokers", "must be 1 to 16");
        if (string.IsNullOrWhiteSpace(Topic) || Topic.Length > 249) throw s.Error("kafka.topic", "must be 1 to 249 characters");
        if (Partitions is < 1 or > 10_000) throw s.Error("kafka.partitions", "must be 1 to 10000");
        if (ReplicationFactor < 1) throw s.Error("kafka.replicationFactor", "must be at least 1");
        if (MinInsyncReplicas < 1 || MinInsyncReplicas > ReplicationFactor) throw s.Error("kafka.minInsyncReplicas", "must be 1 to replicationFactor");
        if (LingerMs is < 0 or > 1000) throw s.Error("kafka.lingerMs", "must be 0 to 1000");
        if (BatchBytesMax is < 1024 or > 16 * 1024 * 1024) throw s.Error("kafka.batchBytesMax", "must be 1024 to 16777216");
        if (MessageTimeoutMs is < 100 or > 3_600_000) throw s.Error("kafka.messageTimeoutMs", "must be 100 to 3600000");
        if (RequestTimeoutMs < 100 || RequestTimeoutMs > MessageTimeoutMs) throw s.Error("kafka.requestTimeoutMs", "must be 100 to messageTimeoutMs");
        if (InFlightMax is < 1 or > 1_000_000) throw s.Error("kafka.inFlightMax", "must be 1 to 1000000");
        if (RetryBackoffMs is < 0 or > 60_000) throw s.Error("kafka.retryBackoffMs", "must be 0 to 60000");
        if (AckWaitMs is < 1 or > 60_000) throw s.Error("kafka.ackWaitMs", "must be 1 to 60000");
        if (FlushTimeoutMs is < 1 or > 600_000) throw s.Error("kafka.flushTimeoutMs", "must be 1 to 600000");
        if (LagAlarmMs < 1) throw s.Error("kafka.lagAlarmMs", "must be at least 1");
    }
}

/// <summary>Key-store references of the two PAN keys; the journal never reads key material from configuration.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class PanKeyOptions
{
    /// <summary>Reference of the HMAC key for PAN look-up hashes.</summary>
    public string HashKeyRef { get; set; } = "journal-pan-hash";

    /// <summary>Reference of the AES-256 data key that encrypts PANs.</summary>
    public string DataKeyRef { get; set; } = "journal-pan-data";

    internal void Validate(ConfigSection s)
    {
        if (string.IsNullOrWhiteSpace(HashKeyRef)) throw s.Error("pan.hashKeyRef", "is empty");
        if (string.IsNullOrWhiteSpace(DataKeyRef)) throw s.Error("pan.dataKeyRef", "is empty");
        if (HashKeyRef == DataKeyRef) throw s.Error("pan.dataKeyRef", "must differ from pan.hashKeyRef (one key, one purpose)");
    }
}
