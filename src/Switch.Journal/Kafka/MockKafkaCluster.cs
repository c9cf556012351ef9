using System.Runtime.InteropServices;

namespace Switch.Journal.Kafka;

/// <summary>
/// librdkafka's in-process mock Kafka cluster: real Kafka protocol on loopback TCP listeners, reachable by any
/// Confluent.Kafka client (in this process or another) at <see cref="BootstrapServers"/>; plus its fault-injection API
/// for the journal's fault tests. It neither replicates nor fsyncs, and it lives only as long as this process.
/// Owned through a bare librdkafka handle (not a client's internals), so it outlives producers built and rebuilt on it.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    /// <summary>Kafka API key of Produce requests (for <see cref="PushProduceErrors"/>).</summary>
    public const short ProduceApiKey = 0;

    /// <summary>File name, in the state directory, that holds the bootstrap address for other processes.</summary>
    public const string BootstrapFileName = "kafka-bootstrap";

    private readonly object _gate = new();
    private IntPtr _rk;
    private IntPtr _cluster;

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers (ids 1..n) on 127.0.0.1.</summary>
    public MockKafkaCluster(int brokers = 3)
    {
        if (brokers is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(brokers), brokers, "1 to 16 brokers");
        _ = RdKafkaNative.Path;
        var err = new byte[512];
        IntPtr conf = RdKafkaNative.rd_kafka_conf_new();
        // The owning handle never talks to the cluster; keep its log quiet.
        _ = RdKafkaNative.rd_kafka_conf_set(conf, "log_level", "3", err, (UIntPtr)err.Length);
        _rk = RdKafkaNative.rd_kafka_new(0, conf, err, (UIntPtr)err.Length);
        if (_rk == IntPtr.Zero) throw new InvalidOperationException($"rd_kafka_new failed: {ErrText(err)}");
        _cluster = RdKafkaNative.rd_kafka_mock_cluster_new(_rk, brokers);
        if (_cluster == IntPtr.Zero)
        {
            RdKafkaNative.rd_kafka_destroy(_rk);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }
        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringAnsi(RdKafkaNative.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("the mock cluster has no bootstrap address");
    }

    /// <summary>The comma-separated host:port list clients connect to.</summary>
    public string BootstrapServers { get; }

    /// <summary>Brokers in the cluster (ids 1..BrokerCount).</summary>
    public int BrokerCount { get; }

    /// <summary>The librdkafka file in use (the same one Confluent.Kafka loaded).</summary>
    public static string NativeLibraryPath => RdKafkaNative.Path;

    /// <summary>Creates a topic; the mock accepts any replication factor up to the broker count but keeps one copy.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor) =>
        Check(RdKafkaNative.rd_kafka_mock_topic_create(Handle, topic, partitions, replicationFactor), "topic_create");

    /// <summary>Moves a partition's leadership to <paramref name="brokerId"/> (F3).</summary>
    public void SetLeader(string topic, int partition, int brokerId) =>
        Check(RdKafkaNative.rd_kafka_mock_partition_set_leader(Handle, topic, partition, brokerId), "partition_set_leader");

    /// <summary>Disconnects a broker and refuses new connections; does not move leadership (F1, F2).</summary>
    public void SetBrokerDown(int brokerId) => Check(RdKafkaNative.rd_kafka_mock_broker_set_down(Handle, brokerId), "broker_set_down");

    /// <summary>Lets a broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId) => Check(RdKafkaNative.rd_kafka_mock_broker_set_up(Handle, brokerId), "broker_set_up");

    /// <summary>Adds <paramref name="rttMs"/> of round-trip delay to every request of a broker (F6); 0 clears it.</summary>
    public void SetBrokerRtt(int brokerId, int rttMs) => Check(RdKafkaNative.rd_kafka_mock_broker_set_rtt(Handle, brokerId, rttMs), "broker_set_rtt");

    /// <summary>Fails the next Produce requests with these Kafka error codes, one each (F4: 19, 20, 7, -195; F5: 45).</summary>
    public void PushProduceErrors(params int[] errorCodes) =>
        RdKafkaNative.rd_kafka_mock_push_request_errors_array(Handle, ProduceApiKey, (UIntPtr)errorCodes.Length, errorCodes);

    /// <summary>Drops Produce errors pushed and not yet used.</summary>
    public void ClearProduceErrors() => RdKafkaNative.rd_kafka_mock_clear_request_errors(Handle, ProduceApiKey);

    /// <summary>Every broker down (<c>true</c>) or up.</summary>
    public void SetAllBrokers(bool down)
    {
        for (int id = 1; id <= BrokerCount; id++)
        {
            if (down) SetBrokerDown(id);
            else SetBrokerUp(id);
        }
    }

    /// <summary>Writes <see cref="BootstrapServers"/> to <c>directory/kafka-bootstrap</c> for other processes (atomic replace).</summary>
    public string WriteBootstrapFile(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = System.IO.Path.Combine(directory, BootstrapFileName);
        string temp = path + ".tmp";
        File.WriteAllText(temp, BootstrapServers + "\n");
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>Stops the brokers; clients still connected see transport errors.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero) RdKafkaNative.rd_kafka_mock_cluster_destroy(_cluster);
            if (_rk != IntPtr.Zero) RdKafkaNative.rd_kafka_destroy(_rk);
            _cluster = IntPtr.Zero;
            _rk = IntPtr.Zero;
        }
    }

    private IntPtr Handle
    {
        get
        {
            IntPtr h = _cluster;
            ObjectDisposedException.ThrowIf(h == IntPtr.Zero, this);
            return h;
        }
    }

    private static void Check(int err, string call)
    {
        if (err != 0) throw new InvalidOperationException($"rd_kafka_mock_{call} failed with error {err}");
    }

    private static string ErrText(byte[] err)
    {
        int n = Array.IndexOf(err, (byte)0);
        return System.Text.Encoding.ASCII.GetString(err, 0, n < 0 ? err.Length : n);
    }
}
