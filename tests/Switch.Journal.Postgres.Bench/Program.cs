using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Npgsql;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Bench;

/// <summary>
/// <c>dotnet run -c Release --project tests/Switch.Journal.Postgres.Bench -- store|store-staging|projector|projector-2w|projector-serial|consume|copy|copy-indexed [legs] [batch]</c>:
/// legs per second into a throwaway database on the development cluster. "store" times ProjectionStore batches alone
/// (binary COPY, dedup insert, tranlog upsert, offsets); "projector" times the projector draining the journal topic of
/// librdkafka's mock cluster (consume, decode, write).
/// </summary>
public static class Program
{
    private const string Topic = "switch.journal";

    /// <summary>Runs one measurement and prints legs/s.</summary>
    public static async Task<int> Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "store";
        int legs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400_000;
        int batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;
        string admin = Environment.GetEnvironmentVariable("SWITCH_TEST_POSTGRES") ?? PostgresOptions.DevelopmentConnectionString;
        string name = "switch_bench_" + Guid.NewGuid().ToString("N")[..10];
        await ExecAsync(admin, $"CREATE DATABASE \"{name}\"");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
            await ProjectionHost.Schema.MigrateAsync(dataSource, CancellationToken.None);
            double rate = mode switch
            {
                "store" => await StoreAsync(dataSource, legs, batch, directCopy: true),
                "store-staging" => await StoreAsync(dataSource, legs, batch, directCopy: false),
                "projector" => await ProjectorAsync(dataSource, legs, batch, pipelined: true, writers: 1),
                "projector-2w" => await ProjectorAsync(dataSource, legs, batch, pipelined: true, writers: 2),
                "projector-serial" => await ProjectorAsync(dataSource, legs, batch, pipelined: false, writers: 1),
                "consume" => Consume(legs),
                "copy" => await RawCopyAsync(dataSource, legs, batch, indexed: false),
                "copy-indexed" => await RawCopyAsync(dataSource, legs, batch, indexed: true),
                _ => throw new ArgumentException($"unknown mode {mode}; store, projector or copy"),
            };
            Console.WriteLine($"{mode}: {legs} legs in batches of {batch}: {rate:N0} legs/s");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await DropAsync(admin, name);
        }
        return 0;
    }

    private static async Task<double> StoreAsync(NpgsqlDataSource dataSource, int legs, int batch, bool directCopy)
    {
        var rows = Rows(legs).ToList();
        var store = new ProjectionStore(dataSource, "bench") { DirectCopy = directCopy };
        await using (var warm = await dataSource.OpenConnectionAsync()) { } // the backend exists before the first sample
        var cpuAtStart = await CpuSample.TakeAsync(dataSource);
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < rows.Count; first += batch)
        {
            int n = Math.Min(batch, rows.Count - first);
            var slice = rows.GetRange(first, n).Select((r, i) => new ProjectedLeg(r, Topic, 0, first + i)).ToList();
            var outcome = await store.WriteAsync(slice, [], [new PartitionRange(Topic, 0, first, first + n)], CancellationToken.None);
            if (outcome.LegsInserted != n) throw new InvalidOperationException($"batch at {first}: {outcome}");
        }
        double rate = legs / clock.Elapsed.TotalSeconds;
        var cpu = (await CpuSample.TakeAsync(dataSource)).Since(cpuAtStart);
        Console.Error.WriteLine($"  {clock.Elapsed.TotalSeconds:0.00} s wall, bench process CPU {cpu.Process.TotalMicroseconds / legs:0.0} µs/leg,"
            + $" Postgres backends CPU {cpu.Backends.TotalMicroseconds / legs:0.0} µs/leg; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        return rate;
    }

    // The reference: the same rows by binary COPY into a table without indexes, constraints or tranlog (the ceiling).
    // "copy-indexed": the same table with journal_leg's indexes (key, txn_id, BRIN on time): what the indexes cost.
    private static async Task<double> RawCopyAsync(NpgsqlDataSource dataSource, int legs, int batch, bool indexed)
    {
        var rows = Rows(legs).ToList();
        string like = indexed ? "INCLUDING DEFAULTS INCLUDING INDEXES" : "INCLUDING DEFAULTS";
        await using (var create = dataSource.CreateCommand($"CREATE UNLOGGED TABLE raw_leg (LIKE journal_leg {like})"))
            await create.ExecuteNonQueryAsync();
        await using (var logged = dataSource.CreateCommand("ALTER TABLE raw_leg SET LOGGED"))
            await logged.ExecuteNonQueryAsync();
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < rows.Count; first += batch)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY raw_leg (event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, pan_hash, amount_minor, stan, rrn, terminal_id, final_response, reversal_rank, source_topic, source_partition, source_offset) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in rows.Skip(first).Take(batch))
                {
                    copy.StartRow();
                    copy.Write((long)r.EventId.NodeId);
                    copy.Write(r.EventId.Sequence);
                    copy.Write(r.TxnId);
                    copy.Write(r.Leg);
                    copy.Write(r.Time.UtcDateTime, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    copy.Write(r.Mti);
                    copy.Write(r.PanMasked!);
                    copy.Write(r.PanHash!);
                    copy.Write(r.AmountMinor!.Value);
                    copy.Write(r.Stan!);
                    copy.Write(r.Rrn!);
                    copy.Write(r.TerminalId!);
                    copy.Write(r.FinalResponse);
                    copy.Write((short)r.Reversal);
                    copy.Write(Topic);
                    copy.Write(0);
                    copy.Write(0L);
                }
                await copy.CompleteAsync();
            }
            await tx.CommitAsync();
        }
        return legs / clock.Elapsed.TotalSeconds;
    }

    // The mock cluster keeps only a partition's newest 5 MiB: enough partitions that nothing produced is dropped.
    private static int PartitionsFor(int legs) => Math.Max(6, legs / 10_000);

    private static MockKafkaCluster Produced(int legs)
    {
        var cluster = new MockKafkaCluster(3);
        cluster.CreateTopic(Topic, PartitionsFor(legs), 3);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers, Acks = Acks.All, EnableIdempotence = true, LingerMs = 20, BatchSize = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build())
        {
            foreach (var row in Rows(legs))
                producer.Produce(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(row.TxnId), Value = Encode(row) });
            producer.Flush(TimeSpan.FromMinutes(2));
        }
        return cluster;
    }

    // The consume side alone: the projector's consumer settings, every record decoded into its row, no Postgres.
    private static double Consume(int legs)
    {
        using var cluster = Produced(legs);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(TranlogProjector.ConsumerConfigFor(new ProjectorOptions(), cluster.BootstrapServers))
            .SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(Topic);
        Stopwatch? clock = null;
        int seen = 0;
        var deadline = Stopwatch.StartNew();
        while (seen < legs && deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            var r = consumer.Consume(100);
            if (r is null) continue;
            clock ??= Stopwatch.StartNew();
            if (!LegRows.TryDecode(r, out _, out string why)) throw new InvalidOperationException(why);
            seen++;
        }
        Console.Error.WriteLine($"  consumed {seen} of {legs}");
        return seen / clock!.Elapsed.TotalSeconds;
    }

    private static async Task<double> ProjectorAsync(NpgsqlDataSource dataSource, int legs, int batch, bool pipelined, int writers)
    {
        using var cluster = Produced(legs);
        var options = new ProjectorOptions { BatchLegsMax = batch, BatchLingerMs = 50, Writers = writers };
        var clock = Stopwatch.StartNew();
        await ProjectionHost.Schema.MigrateAsync(dataSource, CancellationToken.None);
        await using var projector = new TranlogProjector(options, cluster.BootstrapServers, new ProjectionStore(dataSource, options.ConsumerGroup), LegRows.TryDecode, Serilog.Core.Logger.None)
        {
            Pipelined = pipelined,
        };
        projector.Start(CancellationToken.None);
        var progress = Stopwatch.StartNew();
        Stopwatch? steady = null;
        long atFirstBatch = 0;
        CpuSample? cpuAtFirstBatch = null;
        while (projector.Counters.LegsInserted < legs)
        {
            if (steady is null && projector.Counters.Batches > 0)
            {
                steady = Stopwatch.StartNew();
                atFirstBatch = projector.Counters.LegsInserted;
                cpuAtFirstBatch = await CpuSample.TakeAsync(dataSource);
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"{projector.Counters.LegsInserted} of {legs} legs after 5 minutes");
            await Task.Delay(20);
            if (progress.Elapsed > TimeSpan.FromSeconds(5))
            {
                var c = projector.Counters;
                Console.Error.WriteLine($"  {clock.Elapsed.TotalSeconds:0}s: {c.LegsInserted} legs, {c.Batches} batches, {c.BatchFailures} failed, {c.Fenced} fenced");
                progress.Restart();
            }
        }
        double afterJoin = (legs - atFirstBatch) / steady!.Elapsed.TotalSeconds;
        var cpu = (await CpuSample.TakeAsync(dataSource)).Since(cpuAtFirstBatch!.Value);
        Console.Error.WriteLine($"  {legs / clock.Elapsed.TotalSeconds:N0} legs/s including the group join; {afterJoin:N0} legs/s after the first batch");
        Console.Error.WriteLine($"  after the first batch: {steady.Elapsed.TotalSeconds:0.00} s wall, bench process CPU {cpu.Process.TotalSeconds:0.00} s"
            + $" ({cpu.Process.TotalMicroseconds / (legs - atFirstBatch):0.0} µs/leg), Postgres backends CPU {cpu.Backends.TotalSeconds:0.00} s"
            + $" ({cpu.Backends.TotalMicroseconds / (legs - atFirstBatch):0.0} µs/leg); load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        return afterJoin;
    }

    // CPU time of this process and of the Postgres backends serving the bench database (from /proc: same machine).
    private readonly record struct CpuSample(TimeSpan Process, TimeSpan Backends)
    {
        public CpuSample Since(CpuSample earlier) => new(Process - earlier.Process, Backends - earlier.Backends);

        public static async Task<CpuSample> TakeAsync(NpgsqlDataSource dataSource)
        {
            var pids = new List<int>();
            await using (var command = dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync()) pids.Add(reader.GetInt32(0));
            long ticks = 0;
            foreach (int pid in pids)
            {
                try
                {
                    string stat = File.ReadAllText($"/proc/{pid}/stat");
                    string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The backend ended between the query and the read.
                }
            }
            return new CpuSample(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime, TimeSpan.FromSeconds(ticks / 100.0));
        }
    }

    // Four legs per approved authorization, with masked PAN, hash and ciphertext sizes as the journal writes them.
    private static IEnumerable<JournalLegRow> Rows(int legs)
    {
        var t0 = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
        byte[] hash = new byte[32], encrypted = new byte[45];
        string[] names = ["request_in", "request_out", "response_in", "response_out"];
        for (int i = 0; i < legs; i++)
        {
            int txn = i / 4, leg = i % 4;
            yield return new JournalLegRow(new EventId(1, i + 1), $"txn-{txn:D9}", names[leg], t0.AddMilliseconds(i), leg < 2 ? "0100" : "0110",
                "476173******0010", hash, encrypted, 1_000 + txn, "978", (txn % 1_000_000).ToString("D6", CultureInfo.InvariantCulture),
                $"6338{txn:D8}", $"TERM{txn % 1000:D4}", "12345678901", leg < 2 ? null : "00", leg == 3, ReversalProgress.None);
        }
    }

    private static byte[] Encode(JournalLegRow row) => JournalEventCodec.Encode(row.EventId, new JournalEvent
    {
        Kind = row.Leg switch { "request_in" => LegKind.RequestIn, "request_out" => LegKind.RequestOut, "response_in" => LegKind.ResponseIn, _ => LegKind.ResponseOut },
        TransactionId = row.TxnId, TimeUtc = row.Time.UtcDateTime, Mti = row.Mti, PanMasked = row.PanMasked!, PanHash = row.PanHash,
        PanEncrypted = row.PanEncrypted, AmountMinor = row.AmountMinor ?? 0, CurrencyNumeric = 978, Stan = row.Stan!, Rrn = row.Rrn!,
        TerminalId = row.TerminalId!, AcquirerId = row.AcquirerId!, ResponseCode = row.ResponseCode ?? "",
    });

    // An autovacuum worker (a superuser's process) can hold the database for a moment; WITH (FORCE) may not end it.
    private static async Task DropAsync(string admin, string name)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await ExecAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is "42501" or "55006" && attempt < 20)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
