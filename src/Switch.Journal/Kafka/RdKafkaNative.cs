using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Switch.Journal.Kafka;

/// <summary>
/// P/Invokes into librdkafka's mock-cluster API (rdkafka_mock.h, experimental: pinned to librdkafka 2.16.0). They bind
/// to the very file Confluent.Kafka loaded (read from /proc/self/maps): on this machine Confluent silently falls back
/// to centos8-librdkafka.so, and a second copy of librdkafka would make the handles meaningless. Confluent's
/// Library.Load is not used because it needs a libdl.so symlink that Debian 12 lacks.
/// </summary>
internal static class RdKafkaNative
{
    private const string Lib = "switch_rdkafka";
    private static readonly Lazy<string> LoadedPath = new(Bind, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the librdkafka file in use; binds the P/Invokes on first use.</summary>
    public static string Path => LoadedPath.Value;

    private static string Bind()
    {
        _ = Library.Version; // makes Confluent.Kafka load its native library first
        string path = FindMapped() ?? throw new InvalidOperationException("librdkafka is not mapped in this process after Confluent.Kafka loaded it");
        NativeLibrary.SetDllImportResolver(typeof(RdKafkaNative).Assembly, Resolve);
        return path;

        static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
            name == Lib ? NativeLibrary.Load(LoadedPath.Value) : IntPtr.Zero;
    }

    private static string? FindMapped()
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) continue;
            string file = line[slash..].Trim();
            if (file.Contains("librdkafka", StringComparison.Ordinal) && file.EndsWith(".so", StringComparison.Ordinal)) return file;
        }
        return null;
    }

    [DllImport(Lib)] public static extern IntPtr rd_kafka_conf_new();
    [DllImport(Lib)] public static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);
    [DllImport(Lib)] public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);
    [DllImport(Lib)] public static extern void rd_kafka_destroy(IntPtr rk);
    [DllImport(Lib)] public static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokers);
    [DllImport(Lib)] public static extern void rd_kafka_mock_cluster_destroy(IntPtr mcluster);
    [DllImport(Lib)] public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);
    [DllImport(Lib)] public static extern int rd_kafka_mock_topic_create(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);
    [DllImport(Lib)] public static extern int rd_kafka_mock_partition_set_leader(IntPtr mcluster, string topic, int partition, int brokerId);
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_down(IntPtr mcluster, int brokerId);
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_up(IntPtr mcluster, int brokerId);
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_rtt(IntPtr mcluster, int brokerId, int rttMs);
    [DllImport(Lib)] public static extern void rd_kafka_mock_push_request_errors_array(IntPtr mcluster, short apiKey, UIntPtr cnt, int[] errors);
    [DllImport(Lib)] public static extern void rd_kafka_mock_clear_request_errors(IntPtr mcluster, short apiKey);
}
