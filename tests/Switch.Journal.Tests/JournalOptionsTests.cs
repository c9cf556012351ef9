using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Journal.Tests;

public sealed class JournalOptionsTests
{
    private static ConfigSection Section(string json) => new("config/switch.json", "journal", JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void Defaults_are_spool_mode_on_the_mock_cluster()
    {
        JournalOptions o = JournalOptions.Bind(Section("{}"));
        Assert.Equal("spool", o.Mode);
        Assert.True(o.Kafka.IsMock);
        Assert.Equal("switch.journal", o.Kafka.Topic);
        Assert.True(o.Spool.Fsync);
    }

    [Fact]
    public void A_full_section_binds()
    {
        JournalOptions o = JournalOptions.Bind(Section("""
            { "nodeId": 2, "mode": "kafka",
              "spool": { "directory": "/var/lib/switch/journal", "segmentBytesMax": 1048576, "spoolBytesMax": 1073741824, "retentionMs": 60000 },
              "kafka": { "bootstrapServers": "k1:9092,k2:9092", "partitions": 12, "replicationFactor": 3, "minInsyncReplicas": 2, "ackWaitMs": 20 },
              "pan": { "hashKeyRef": "h", "dataKeyRef": "d" } }
            """));
        Assert.True(o.KafkaMode);
        Assert.Equal(2u, o.NodeId);
        Assert.False(o.Kafka.IsMock);
        Assert.Equal(12, o.Kafka.Partitions);
    }

    [Theory]
    [InlineData("""{ "mode": "fast" }""", "journal.mode")]
    [InlineData("""{ "spool": { "segmentBytesMax": 10 } }""", "journal.spool.segmentBytesMax")]
    [InlineData("""{ "kafka": { "bootstrapServers": "nohostport" } }""", "journal.kafka.bootstrapServers")]
    [InlineData("""{ "kafka": { "minInsyncReplicas": 4 } }""", "journal.kafka.minInsyncReplicas")]
    [InlineData("""{ "kafka": { "requestTimeoutMs": 20000, "messageTimeoutMs": 10000 } }""", "journal.kafka.requestTimeoutMs")]
    [InlineData("""{ "pan": { "hashKeyRef": "k", "dataKeyRef": "k" } }""", "journal.pan.dataKeyRef")]
    [InlineData("""{ "spool": { "directory": "" } }""", "journal.spool.directory")]
    [InlineData("""{ "unknown": 1 }""", "journal.unknown")]
    public void Invalid_values_name_the_file_and_the_key(string json, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => JournalOptions.Bind(Section(json)));
        Assert.Equal("config/switch.json", ex.File);
        Assert.Equal(key, ex.Key);
    }
}
