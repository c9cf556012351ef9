using System.Diagnostics;
using Switch.Journal.Events;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// The journal runtime (journal + Postgres projection + projected position) on a temp spool, the journal's own mock
/// Kafka cluster and a test database: retention waits for Kafka, Postgres and the retention time; the replay reads
/// Postgres for deleted segments and the spool for the rest; restarts on a new mock cluster and a removed state
/// directory neither lose nor double an event (I1).
/// </summary>
[Collection("kafka")]
public sealed class JournalRuntimeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TestDatabase _db = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sjr-" + Guid.NewGuid().ToString("N")[..10]);

    public Task InitializeAsync() => _db.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    internal static JournalOptions Options(string directory, long retentionMs) => new()
    {
        NodeId = 5,
        Spool = new SpoolOptions { Directory = directory, SegmentBytesMax = 64 * 1024, SpoolBytesMax = 64L * 1024 * 1024, GroupBytesMax = 16 * 1024, RetentionMs = retentionMs },
        Kafka = new KafkaOptions { BootstrapServers = "mock", Partitions = 3, LingerMs = 2, RetryBackoffMs = 100, FlushTimeoutMs = 2_000 },
    };

    internal static ProjectorOptions Projector(bool inProcess = true) =>
        new() { InProcess = inProcess, BatchLegsMax = 2_000, BatchLingerMs = 20, RetryBackoffMs = 100, RetryBackoffMaxMs = 500 };

    private Task<JournalRuntime> StartAsync(long retentionMs, bool inProcess = true, string? connectionString = null) =>
        JournalRuntime.StartAsync(Options(_dir, retentionMs), Projector(inProcess), new PostgresOptions { ConnectionString = connectionString ?? _db.ConnectionString },
            Serilog.Core.Logger.None, CancellationToken.None);

    [Fact]
    public async Task Segments_stay_while_only_kafka_acknowledged_them_and_leave_once_postgres_committed_past_them()
    {
        await using var runtime = await StartAsync(retentionMs: 0, inProcess: false);
        var appended = await AppendAsync(runtime, "ack", 600);
        await WaitUntilAsync(() => runtime.Journal.Forwarder.AckedThrough >= runtime.Journal.Spool.LastAssigned);
        int before = runtime.Journal.Spool.Segments().Length;
        Assert.True(before > 3, $"{before} segments");

        await Task.Delay(1_000); // ten position rounds: Kafka has everything, Postgres nothing, retention 0
        Assert.Equal(before, runtime.Journal.Spool.Segments().Length);
        Assert.Equal(0L, runtime.ProjectedThrough);

        // A projector run apart (the distributed shape) commits the topic; the runtime reads the position from Postgres.
        await using var projector = await ProjectionHost.StartAsync(_db.DataSource, Projector(), runtime.Journal.BootstrapServers, Serilog.Core.Logger.None, CancellationToken.None);
        long last = runtime.Journal.Spool.LastAssigned;
        await WaitUntilAsync(() => runtime.ProjectedThrough == last);
        await WaitUntilAsync(() => runtime.Journal.Spool.Segments().Length == 1);
        Assert.Equal(appended.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg WHERE event_node = 5"));
    }

    [Fact]
    public async Task A_projected_and_acknowledged_segment_stays_until_the_retention_passed()
    {
        await using var runtime = await StartAsync(retentionMs: 3_600_000);
        await AppendAsync(runtime, "ret", 600);
        long last = runtime.Journal.Spool.LastAssigned;
        int before = runtime.Journal.Spool.Segments().Length;
        await WaitUntilAsync(() => runtime.ProjectedThrough == last && runtime.Journal.Forwarder.AckedThrough >= last);

        await Task.Delay(500);
        Assert.Equal(before, runtime.Journal.Spool.Segments().Length);
    }

    [Fact]
    public async Task The_replay_reads_deleted_segments_back_from_postgres_and_the_rest_from_the_spool_each_record_once_in_order()
    {
        await using var runtime = await StartAsync(retentionMs: 0);
        var appended = await AppendAsync(runtime, "rep", 600);
        await WaitUntilAsync(() => runtime.Journal.Spool.Segments().Length == 1 && runtime.ProjectedThrough == runtime.Journal.Spool.LastAssigned);
        // One more transaction that only the spool may hold yet (the projection's position is behind it or just at it).
        appended.AddRange(await AppendAsync(runtime, "tail", 1));
        long firstInSpool = runtime.Journal.Spool.Segments()[0].FirstSequence;

        var read = new List<JournalRecord>();
        await foreach (var r in runtime.ReadAsync(1, CancellationToken.None)) read.Add(r);

        Assert.True(firstInSpool > read[0].Id.Sequence + 100, $"the spool starts at {firstInSpool}: most records had to come from Postgres");
        Assert.Equal(appended.Count, read.Count);
        Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Id.Sequence < p.Second.Id.Sequence), "sequences not strictly ascending");
        for (int i = 0; i < read.Count; i++) RuntimeEvents.AssertSame(appended[i], read[i].Event);

        var fromMiddle = new List<long>();
        await foreach (var r in runtime.ReadAsync(read[700].Id.Sequence, CancellationToken.None)) fromMiddle.Add(r.Id.Sequence);
        Assert.Equal(read.Skip(700).Select(r => r.Id.Sequence), fromMiddle);
    }

    [Fact]
    public async Task A_restart_on_a_new_mock_cluster_projects_on_past_the_sequence_gap_with_0_missing_and_0_doubled_I1()
    {
        long firstLast;
        await using (var first = await StartAsync(retentionMs: 3_600_000))
        {
            await AppendAsync(first, "r1", 100);
            firstLast = first.Journal.Spool.LastAssigned;
            await WaitUntilAsync(() => first.ProjectedThrough == firstLast);
        }
        // Events the first run journaled but its projector had not committed are resent from the spool by the second.
        await using var second = await StartAsync(retentionMs: 3_600_000);
        await AppendAsync(second, "r2", 100);
        long last = second.Journal.Spool.LastAssigned;
        Assert.True(last > firstLast + 1_000, "a restart skips sequences (the fence)");

        await WaitUntilAsync(() => second.ProjectedThrough == last);
        Assert.Equal((400L, 400L), (await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg"), await _db.ScalarAsync<long>("SELECT count(DISTINCT (event_node, event_seq)) FROM journal_leg")));
        Assert.Equal(400L, await _db.ScalarAsync<long>("SELECT sum(leg_count) FROM tranlog"));
    }

    [Fact]
    public async Task A_removed_state_directory_never_reuses_an_event_id_the_projection_holds_I1()
    {
        long oldLast;
        await using (var first = await StartAsync(retentionMs: 3_600_000))
        {
            await AppendAsync(first, "old", 20);
            oldLast = first.Journal.Spool.LastAssigned;
            await WaitUntilAsync(() => first.ProjectedThrough == oldLast);
        }
        Directory.Delete(_dir, recursive: true);

        await using var second = await StartAsync(retentionMs: 3_600_000);
        await AppendAsync(second, "new", 20);
        long last = second.Journal.Spool.LastAssigned;
        await WaitUntilAsync(() => second.ProjectedThrough == last);

        Assert.Equal(80L, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg"));
        Assert.Equal(40L, await _db.ScalarAsync<long>($"SELECT count(*) FROM journal_leg WHERE event_seq > {oldLast}"));
    }

    [Theory]
    [InlineData(new long[] { 1, 2, 3 }, new long[] { 1, 2, 3 }, 3)]
    [InlineData(new long[] { 1, 2, 3 }, new long[] { 1, 3 }, 1)]
    [InlineData(new long[] { 5, 9, 1_048_600 }, new long[] { 5, 7, 9, 1_048_600 }, 3)]
    [InlineData(new long[] { 5, 9 }, new long[] { 9 }, 0)]
    [InlineData(new long[] { 5, 9 }, new long[0], 0)]
    public void The_position_moves_over_the_leading_run_of_stored_records_and_ignores_stored_ones_the_spool_lacks(long[] spool, long[] stored, int confirmed)
    {
        Assert.Equal(confirmed, ProjectedPosition.LeadingStored([.. spool], [.. stored]));
    }

    /// <summary>Appends <paramref name="transactions"/> transactions of two events each, one after the other; returns the events in sequence order.</summary>
    internal static async Task<List<JournalEvent>> AppendAsync(IJournal journal, string prefix, int transactions)
    {
        var all = new List<JournalEvent>();
        for (int i = 0; i < transactions; i++)
        {
            var events = RuntimeEvents.Transaction($"{prefix}-{i}", i);
            await journal.AppendAsync(events, CancellationToken.None);
            all.AddRange(events);
        }
        return all;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience) Assert.Fail("condition not met in time");
            await Task.Delay(50);
        }
    }
}

/// <summary>Events with every field set (masked PAN only), and a field-by-field comparison.</summary>
internal static class RuntimeEvents
{
    public static JournalEvent[] Transaction(string txn, int i) =>
    [
        Event(txn, LegKind.RequestIn, "0200", "", i),
        Event(txn, i % 5 == 0 ? LegKind.StateReset : LegKind.BalanceDebit, "0210", "00", i),
    ];

    private static JournalEvent Event(string txn, LegKind kind, string mti, string rc, int i) => new()
    {
        Kind = kind,
        TransactionId = txn,
        // Sub-microsecond ticks on purpose: the replay gives back the very time.
        TimeUtc = new DateTime(2026, 12, 4, 21, 0, 0, DateTimeKind.Utc).AddTicks(i * 1_234_567L + (long)kind),
        LatencyUs = 1_000 + i,
        Mti = mti,
        ProcessingCode = "000000",
        PanMasked = Legs.MaskedPan,
        PanHash = Enumerable.Range(0, 32).Select(b => (byte)(b + i)).ToArray(),
        PanEncrypted = Enumerable.Range(0, 45).Select(b => (byte)(b * 3 + i)).ToArray(),
        AmountMinor = 10_000 + i,
        CurrencyNumeric = (ushort)(i % 7 == 0 ? 1_234 : 978),
        Stan = (i % 1_000_000).ToString("D6"),
        Rrn = $"6338{i:D8}",
        TerminalId = "TERM01  ",
        MerchantId = "MERCHANT0000001",
        AcquirerId = "12345678901",
        Route = "visa-1",
        Destination = "issuer-a",
        ResponseCode = rc,
        ApprovalCode = rc == "00" ? "A1B2C3" : "",
        AccountId = kind is LegKind.BalanceDebit or LegKind.StateReset ? $"ACC{i:D6}" : "",
        Detail = kind == LegKind.BalanceDebit ? $"debit {10_000 + i} ✓" : "",
    };

    public static void AssertSame(JournalEvent expected, JournalEvent actual)
    {
        Assert.Equal(
            (expected.Kind, expected.TransactionId, expected.TimeUtc, expected.TimeUtc.Kind, expected.LatencyUs, expected.Mti, expected.ProcessingCode, expected.PanMasked),
            (actual.Kind, actual.TransactionId, actual.TimeUtc, actual.TimeUtc.Kind, actual.LatencyUs, actual.Mti, actual.ProcessingCode, actual.PanMasked));
        Assert.Equal(expected.PanHash.ToArray(), actual.PanHash.ToArray());
        Assert.Equal(expected.PanEncrypted.ToArray(), actual.PanEncrypted.ToArray());
        Assert.Equal(
            (expected.AmountMinor, expected.CurrencyNumeric, expected.Stan, expected.Rrn, expected.TerminalId, expected.MerchantId, expected.AcquirerId),
            (actual.AmountMinor, actual.CurrencyNumeric, actual.Stan, actual.Rrn, actual.TerminalId, actual.MerchantId, actual.AcquirerId));
        Assert.Equal(
            (expected.Route, expected.Destination, expected.ResponseCode, expected.ApprovalCode, expected.AccountId, expected.Detail),
            (actual.Route, actual.Destination, actual.ResponseCode, actual.ApprovalCode, actual.AccountId, actual.Detail));
    }
}
