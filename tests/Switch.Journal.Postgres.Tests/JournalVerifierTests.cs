using Serilog.Core;
using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Projection;

namespace Switch.Journal.Postgres.Tests;

/// <summary>journal verify as a library call: the real journal (spool + forwarder) on the mock cluster, the projector, Postgres.</summary>
[Collection("kafka")]
public sealed class JournalVerifierTests : IAsyncLifetime
{
    private const string Topic = "switch.journal";
    private readonly TestDatabase _db = new();
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "sjv-" + Guid.NewGuid().ToString("N")[..10]);
    private MockKafkaCluster _cluster = null!;
    private Journal _journal = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _cluster = new MockKafkaCluster(3);
        _cluster.CreateTopic(Topic, 3, 3);
        _journal = Journal.Open(new JournalOptions
        {
            NodeId = 1,
            Spool = new SpoolOptions { Directory = _spool, SegmentBytesMax = 1024 * 1024, SpoolBytesMax = 8 * 1024 * 1024, GroupBytesMax = 64 * 1024 },
            Kafka = new KafkaOptions { BootstrapServers = _cluster.BootstrapServers, Topic = Topic, Partitions = 3, RetryBackoffMs = 100, FlushTimeoutMs = 2_000 },
        }, Logger.None, null, ex => throw new InvalidOperationException("fatal in test", ex));
    }

    public async Task DisposeAsync()
    {
        _journal.Dispose();
        _cluster.Dispose();
        await _db.DisposeAsync();
        Directory.Delete(_spool, recursive: true);
    }

    private VerifySources Sources(string? bootstrap = null, string? spool = null) =>
        new(spool ?? _spool, 1, bootstrap ?? _cluster.BootstrapServers, Topic, _db.DataSource, "switch-projector", TimeSpan.FromSeconds(10));

    private async Task JournalAndProjectAsync(int transactions)
    {
        for (int i = 0; i < transactions; i++)
        {
            string txn = $"v-{i}";
            await _journal.AppendAsync([Leg(txn, LegKind.RequestIn, "0100", ""), Leg(txn, LegKind.ResponseOut, "0110", "00")], CancellationToken.None);
        }
        await _journal.Forwarder.WaitAckedAsync(_journal.Spool.LastAssigned).WaitAsync(TimeSpan.FromSeconds(60));
        await using var projector = await ProjectionHost.StartAsync(_db.DataSource, new ProjectorOptions { BatchLingerMs = 20 }, _cluster.BootstrapServers, Logger.None, CancellationToken.None);
        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, transactions * 2, TimeSpan.FromSeconds(90));
        await ProjectorTests.WaitUntilAsync(() => projector.Counters.Batches > 0);
        await Task.Delay(300); // the last batch's offsets commit with its rows; give a slow machine a moment
    }

    private static JournalEvent Leg(string txn, LegKind kind, string mti, string rc) => new()
    {
        Kind = kind, TransactionId = txn, TimeUtc = DateTime.UtcNow, Mti = mti, PanMasked = Legs.MaskedPan,
        AmountMinor = 500, CurrencyNumeric = 978, Stan = "000001", Rrn = "633800000001", TerminalId = "TERM0001", ResponseCode = rc,
    };

    [Fact]
    public async Task When_spool_Kafka_and_Postgres_hold_the_same_events_they_agree()
    {
        await JournalAndProjectAsync(50);

        var report = await JournalVerifier.VerifyAsync(Sources(), CancellationToken.None);

        Assert.True(report.Agree, string.Join("; ", report.Missing.Select(m => $"{m.Id} {m.MissingFrom}")) + string.Join("; ", report.Problems));
        Assert.Equal((100L, 100L, 100L), (report.Spool.DistinctEvents, report.Kafka.DistinctEvents, report.Postgres.DistinctEvents));
        Assert.Equal(0, report.LagRecords);
    }

    [Fact]
    public async Task A_leg_lost_from_Postgres_is_reported_missing_there_by_its_event_id()
    {
        await JournalAndProjectAsync(20);
        await using (var delete = _db.DataSource.CreateCommand("DELETE FROM journal_leg WHERE event_node = 1 AND event_seq = 7"))
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());

        var report = await JournalVerifier.VerifyAsync(Sources(), CancellationToken.None);

        Assert.False(report.Agree);
        Assert.Equal([new MissingEvent(new EventId(1, 7), "postgres")], report.Missing);
        Assert.Contains(report.Problems, p => p.Contains("counts 2 legs, journal_leg has 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Records_on_Kafka_beyond_the_stored_offsets_are_lag_not_loss()
    {
        await JournalAndProjectAsync(10);
        // The projector has stopped; the switch journals on.
        await _journal.AppendAsync([Leg("late", LegKind.RequestIn, "0100", "")], CancellationToken.None);
        await _journal.Forwarder.WaitAckedAsync(_journal.Spool.LastAssigned).WaitAsync(TimeSpan.FromSeconds(60));

        var report = await JournalVerifier.VerifyAsync(Sources(), CancellationToken.None);

        Assert.False(report.Agree);
        Assert.Empty(report.Missing);
        Assert.Equal(1, report.LagRecords);
    }

    [Fact]
    public async Task A_resend_doubled_on_Kafka_is_listed_but_the_stores_still_agree()
    {
        await JournalAndProjectAsync(10);
        // The spool's resend after a fatal producer error (F5): an event Kafka already holds arrives again.
        var again = Switch.Journal.Spool.SpoolReplay.Read(Switch.Journal.Spool.FileSpoolStorage.Instance, _spool, 3, 3).Single();
        using (var producer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(Topic, new Confluent.Kafka.Message<byte[], byte[]>
            {
                Key = System.Text.Encoding.UTF8.GetBytes(again.Event.TransactionId), Value = Switch.Journal.Codec.JournalEventCodec.Encode(again.Id, again.Event),
            });
        }
        await using (var projector = await ProjectionHost.StartAsync(_db.DataSource, new ProjectorOptions { BatchLingerMs = 20 }, _cluster.BootstrapServers, Logger.None, CancellationToken.None))
            await ProjectorTests.WaitUntilAsync(() => projector.Counters.LegsDuplicate == 1);

        var report = await JournalVerifier.VerifyAsync(Sources(), CancellationToken.None);

        Assert.Equal([new DoubledEvent(new EventId(1, 3), "kafka", 2)], report.Doubled);
        Assert.True(report.Agree, string.Join("; ", report.Problems) + $" lag {report.LagRecords}");
        Assert.Equal(20L, report.Postgres.DistinctEvents);
    }

    [Fact]
    public async Task Unreachable_stores_are_named_and_the_others_still_compared()
    {
        await JournalAndProjectAsync(5);

        var report = await JournalVerifier.VerifyAsync(Sources(bootstrap: "127.0.0.1:1", spool: _spool + "-absent") with { KafkaTimeout = TimeSpan.FromSeconds(2) }, CancellationToken.None);

        Assert.False(report.Agree);
        Assert.Equal((false, false, true), (report.Spool.Reachable, report.Kafka.Reachable, report.Postgres.Reachable));
        Assert.Equal("no such directory", report.Spool.Error);
        Assert.Equal(10, report.Postgres.DistinctEvents);
        Assert.Empty(report.Missing);
    }
}
