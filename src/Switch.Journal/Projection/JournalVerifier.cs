using Confluent.Kafka;
using Npgsql;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Spool;

namespace Switch.Journal.Projection;

/// <summary>What one store holds, or why it could not be read.</summary>
public sealed record StoreView(string Name, bool Reachable, string Where, string? Error, long Records, long DistinctEvents, string Detail);

/// <summary>One event and the stores that lack it.</summary>
public readonly record struct MissingEvent(EventId Id, string MissingFrom);

/// <summary>One event stored more than once in a store.</summary>
public readonly record struct DoubledEvent(EventId Id, string Store, int Copies);

/// <summary>The projection's distance behind Kafka on one partition.</summary>
public readonly record struct PartitionLag(int Partition, long EndOffset, long StoredOffset)
{
    /// <summary>Records on Kafka the projection has not yet stored.</summary>
    public long Records => Math.Max(0, EndOffset - StoredOffset);
}

/// <summary>
/// The result of <see cref="JournalVerifier"/>: which stores were reached, every event missing from a store that
/// should have it, every event stored twice, and the projection's lag. <see cref="Agree"/> is true only when all three
/// stores were reached, nothing is missing or doubled in Postgres, and the projection has caught up. Copies of one
/// event in Kafka are listed but do not break agreement: a spool resend after a fatal producer error makes them by
/// design (FAULTS.md F5) and the projection stores each event once.
/// </summary>
public sealed record VerifyReport(
    StoreView Spool, StoreView Kafka, StoreView Postgres,
    IReadOnlyList<MissingEvent> Missing, IReadOnlyList<DoubledEvent> Doubled, IReadOnlyList<PartitionLag> Lag,
    IReadOnlyList<string> Problems)
{
    /// <summary>Records on Kafka not yet in Postgres, over all partitions.</summary>
    public long LagRecords => Lag.Sum(l => l.Records);

    /// <summary>All three stores reached and in agreement (see the type's summary).</summary>
    public bool Agree => Spool.Reachable && Kafka.Reachable && Postgres.Reachable && Missing.Count == 0
        && !Doubled.Any(d => d.Store != "kafka") && LagRecords == 0 && Problems.Count == 0;
}

/// <summary>
/// Where <see cref="JournalVerifier"/> looks. <paramref name="KafkaIsMock"/>: Kafka is librdkafka's mock cluster, which
/// holds events only while the switch runs and only a partition's newest 5 MiB, so it need not hold what Postgres has.
/// </summary>
public sealed record VerifySources(
    string SpoolDirectory, uint NodeId, string? KafkaBootstrapServers, string Topic, NpgsqlDataSource Postgres, string ConsumerGroup,
    TimeSpan KafkaTimeout, bool KafkaIsMock = false);

/// <summary>
/// Compares the three stores of the journal: the local spool (this node's events still in it), the Kafka topic and
/// the Postgres projection. The spool only holds what retention has not yet deleted, so an event is "missing from the
/// spool" only inside the sequence range the spool still covers; Kafka and Postgres must hold every event.
/// </summary>
public static class JournalVerifier
{
    /// <summary>Reads the three stores (each failure is reported, not thrown) and compares them.</summary>
    public static async Task<VerifyReport> VerifyAsync(VerifySources sources, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var spool = ReadSpool(sources, problems);
        var kafka = await Task.Run(() => ReadKafka(sources, problems, cancellationToken), cancellationToken).ConfigureAwait(false);
        var postgres = await ReadPostgresAsync(sources, cancellationToken).ConfigureAwait(false);

        var missing = new List<MissingEvent>();
        var doubled = new List<DoubledEvent>();
        var all = new HashSet<EventId>(spool.Ids.Keys);
        all.UnionWith(kafka.Ids.Keys);
        all.UnionWith(postgres.Ids.Keys);
        foreach (var id in all.Order())
        {
            var lacking = new List<string>();
            if (spool.View.Reachable && id.NodeId == sources.NodeId && id.Sequence >= spool.FirstSequence && id.Sequence <= spool.LastSequence && !spool.Ids.ContainsKey(id))
                lacking.Add("spool");
            if (kafka.View.Reachable && !kafka.Ids.ContainsKey(id) && KafkaShouldHold(id, sources, kafka, postgres)) lacking.Add("kafka");
            // Not yet projected is lag, not loss: only an event Kafka holds below the stored offset is missing from Postgres.
            if (postgres.View.Reachable && !postgres.Ids.ContainsKey(id) && !BeyondStoredOffset(id, kafka, postgres)) lacking.Add("postgres");
            if (lacking.Count > 0) missing.Add(new MissingEvent(id, string.Join(",", lacking)));
        }
        foreach (var (store, ids) in new[] { ("spool", spool.Ids), ("kafka", kafka.Ids) })
            doubled.AddRange(ids.Where(kv => kv.Value.Count > 1).Select(kv => new DoubledEvent(kv.Key, store, kv.Value.Count)).OrderBy(d => d.Id));
        problems.AddRange(postgres.Problems);
        var lag = kafka.View.Reachable && postgres.View.Reachable
            ? kafka.Ends.Select(e => new PartitionLag(e.Key, e.Value, postgres.Offsets.GetValueOrDefault(e.Key))).OrderBy(l => l.Partition).ToList()
            : [];
        return new VerifyReport(spool.View, kafka.View, postgres.View, missing, doubled, lag, problems);
    }

    // Kafka must hold an event Postgres lacks (nothing else would carry it there). What Postgres holds, Kafka may have let
    // go: below a partition's log start (retention) on a real cluster; anything on the mock cluster (a new, empty cluster
    // at every start of the switch, keeping only a partition's newest 5 MiB).
    private static bool KafkaShouldHold(EventId id, VerifySources sources, KafkaRead kafka, PostgresRead postgres)
    {
        if (!postgres.View.Reachable || !postgres.Ids.TryGetValue(id, out var positions)) return true;
        if (sources.KafkaIsMock) return false;
        return positions.Any(p => p.Item2 >= kafka.Starts.GetValueOrDefault(p.Item1));
    }

    private static bool BeyondStoredOffset(EventId id, KafkaRead kafka, PostgresRead postgres)
    {
        if (!kafka.Ids.TryGetValue(id, out var positions)) return false;
        return positions.All(p => p.Offset >= postgres.Offsets.GetValueOrDefault(p.Partition));
    }

    private sealed record SpoolRead(StoreView View, Dictionary<EventId, List<(int Partition, long Offset)>> Ids, long FirstSequence, long LastSequence);

    private static SpoolRead ReadSpool(VerifySources sources, List<string> problems)
    {
        var ids = new Dictionary<EventId, List<(int, long)>>();
        string where = sources.SpoolDirectory;
        if (!Directory.Exists(where))
            return new SpoolRead(new StoreView("spool", false, where, "no such directory", 0, 0, ""), ids, 0, -1);
        long records = 0;
        try
        {
            var spoolProblems = new List<string>();
            foreach (var record in SpoolReplay.Read(FileSpoolStorage.Instance, where, 0, long.MaxValue, spoolProblems))
            {
                records++;
                Add(ids, record.Id, (-1, -1));
            }
            // A torn tail of a running writer is normal; the writer truncates it at its next start.
            problems.AddRange(spoolProblems.Select(p => $"spool: {p}"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JournalFormatException)
        {
            return new SpoolRead(new StoreView("spool", false, where, ex.Message, 0, 0, ""), ids, 0, -1);
        }
        var own = ids.Keys.Where(i => i.NodeId == sources.NodeId).Select(i => i.Sequence).ToList();
        long first = own.Count > 0 ? own.Min() : 0, last = own.Count > 0 ? own.Max() : -1;
        string detail = own.Count > 0 ? $"node {sources.NodeId}, sequences {first}..{last}" : $"node {sources.NodeId}, empty";
        return new SpoolRead(new StoreView("spool", true, where, null, records, ids.Count, detail), ids, first, last);
    }

    private sealed record KafkaRead(StoreView View, Dictionary<EventId, List<(int Partition, long Offset)>> Ids, Dictionary<int, long> Ends, Dictionary<int, long> Starts);

    private static KafkaRead ReadKafka(VerifySources sources, List<string> problems, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<EventId, List<(int, long)>>();
        var ends = new Dictionary<int, long>();
        var starts = new Dictionary<int, long>();
        string where = $"{sources.KafkaBootstrapServers ?? "(unknown)"} topic {sources.Topic}";
        if (sources.KafkaBootstrapServers is null)
            return new KafkaRead(new StoreView("kafka", false, where, "no bootstrap address (the mock cluster lives only while the switch runs)", 0, 0, ""), ids, ends, starts);
        try
        {
            long records = ScanTopic(sources, ids, ends, starts, problems, cancellationToken);
            return new KafkaRead(new StoreView("kafka", true, where, null, records, ids.Count, $"{ends.Count} partitions"), ids, ends, starts);
        }
        catch (Exception ex) when (ex is KafkaException or TimeoutException or InvalidOperationException)
        {
            return new KafkaRead(new StoreView("kafka", false, where, ex.Message, 0, 0, ""), [], [], []);
        }
    }

    private static long ScanTopic(VerifySources sources, Dictionary<EventId, List<(int, long)>> ids, Dictionary<int, long> ends, Dictionary<int, long> starts,
        List<string> problems, CancellationToken cancellationToken)
    {
        var timeout = sources.KafkaTimeout;
        List<TopicPartition> partitions;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = sources.KafkaBootstrapServers, SocketTimeoutMs = (int)timeout.TotalMilliseconds })
            .SetLogHandler((_, _) => { }).Build())
        {
            var topic = admin.GetMetadata(sources.Topic, timeout).Topics.Single(t => t.Topic == sources.Topic);
            if (topic.Error.IsError) throw new KafkaException(topic.Error);
            partitions = topic.Partitions.Select(p => new TopicPartition(sources.Topic, p.PartitionId)).ToList();
        }
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = sources.KafkaBootstrapServers, GroupId = "switch-journal-verify", EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnablePartitionEof = true,
        }).SetLogHandler((_, _) => { }).Build();
        var open = new HashSet<int>();
        foreach (var tp in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(tp, timeout);
            ends[tp.Partition.Value] = marks.High.Value;
            starts[tp.Partition.Value] = marks.Low.Value;
            if (marks.High.Value > marks.Low.Value) open.Add(tp.Partition.Value);
        }
        if (open.Count == 0) return 0;
        consumer.Assign(partitions.Where(tp => open.Contains(tp.Partition.Value)).Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        long records = 0;
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (idle.Elapsed > timeout) throw new TimeoutException($"{open.Count} partitions of {sources.Topic} not read to their end within {timeout.TotalSeconds:0} s");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null) continue;
            idle.Restart();
            int p = r.Partition.Value;
            if (!r.IsPartitionEOF && r.Offset.Value < ends[p])
            {
                records++;
                try
                {
                    Add(ids, JournalEventCodec.PeekId(r.Message.Value), (p, r.Offset.Value));
                }
                catch (JournalFormatException ex)
                {
                    problems.Add($"kafka: partition {p} offset {r.Offset.Value}: {ex.Message}");
                }
            }
            if (r.IsPartitionEOF || r.Offset.Value + 1 >= ends[p]) open.Remove(p);
        }
        return records;
    }

    private sealed record PostgresRead(StoreView View, Dictionary<EventId, List<(int, long)>> Ids, Dictionary<int, long> Offsets, List<string> Problems);

    private static async Task<PostgresRead> ReadPostgresAsync(VerifySources sources, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<EventId, List<(int, long)>>();
        var offsets = new Dictionary<int, long>();
        var mismatches = new List<string>();
        string where = DescribeDataSource(sources.Postgres);
        try
        {
            await using var connection = await sources.Postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            // One snapshot for the three reads, so legs, tranlog and offsets are compared as of one moment.
            await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            long records = 0;
            await using (var legs = new NpgsqlCommand("SELECT event_node, event_seq, source_partition, source_offset FROM journal_leg", connection, snapshot))
            await using (var reader = await legs.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    records++;
                    Add(ids, new EventId((uint)reader.GetInt64(0), reader.GetInt64(1)), (reader.GetInt32(2), reader.GetInt64(3)));
                }
            }
            await using (var stored = new NpgsqlCommand("SELECT partition, next_offset FROM projection_offset WHERE consumer_group = $1 AND topic = $2", connection, snapshot))
            {
                stored.Parameters.Add(new NpgsqlParameter { Value = sources.ConsumerGroup });
                stored.Parameters.Add(new NpgsqlParameter { Value = sources.Topic });
                await using var reader = await stored.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) offsets[reader.GetInt32(0)] = reader.GetInt64(1);
            }
            long transactions;
            await using (var tranlog = new NpgsqlCommand("""
                SELECT t.txn_id, t.leg_count, count(l.*) FROM tranlog t LEFT JOIN journal_leg l USING (txn_id)
                GROUP BY t.txn_id, t.leg_count HAVING t.leg_count <> count(l.*)
                """, connection, snapshot))
            await using (var reader = await tranlog.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    mismatches.Add($"postgres: tranlog row {reader.GetString(0)} counts {reader.GetInt32(1)} legs, journal_leg has {reader.GetInt64(2)}");
            }
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM tranlog", connection, snapshot))
                transactions = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await snapshot.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new PostgresRead(new StoreView("postgres", true, where, null, records, ids.Count, $"{transactions} transactions"), ids, offsets, mismatches);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new PostgresRead(new StoreView("postgres", false, where, ex.Message, 0, 0, ""), ids, offsets, mismatches);
        }
    }

    private static string DescribeDataSource(NpgsqlDataSource dataSource)
    {
        var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    private static void Add(Dictionary<EventId, List<(int, long)>> ids, EventId id, (int, long) position)
    {
        if (!ids.TryGetValue(id, out var list)) ids[id] = list = [];
        list.Add(position);
    }
}
