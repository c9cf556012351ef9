using Switch.Journal.Events;

namespace Switch.Journal.Tests;

/// <summary>Segments leave the spool only after Kafka acknowledged them and the projection committed past them; replay reads spool and Kafka in order.</summary>
[Collection("kafka")]
public sealed class RetentionAndReplayTests
{
    private static void SmallSegments(JournalOptions o)
    {
        o.Spool.SegmentBytesMax = 64 * 1024;
        o.Spool.SpoolBytesMax = 64L * 1024 * 1024;
        o.Spool.GroupBytesMax = 16 * 1024;
    }

    [Fact]
    public async Task A_segment_is_deleted_only_after_kafka_acknowledged_it_and_the_projection_committed_past_it()
    {
        using var f = new KafkaJournalFixture(configure: SmallSegments);
        await f.Burst(600, 5000, "ret", CancellationToken.None);
        await f.WaitForwarded(TimeSpan.FromSeconds(60));
        int before = f.Journal.Spool.Segments().Length;
        Assert.True(before > 3);
        await Task.Delay(400); // several maintenance rounds: Kafka has everything, the projection nothing
        Assert.Equal(before, f.Journal.Spool.Segments().Length);
        long half = f.Journal.Spool.Segments()[before / 2].FirstSequence;
        f.Journal.ReportProjected(half);
        await SpoolFaultTests.WaitUntil(() => f.Journal.Spool.Segments().Length < before, TimeSpan.FromSeconds(5));
        Assert.All(f.Journal.Spool.Segments()[1..], s => Assert.True(s.FirstSequence > half - 1));
        Assert.True(f.Journal.Spool.Segments()[0].FirstSequence <= half);
    }

    [Fact]
    public async Task Replay_reads_from_a_position_in_order_over_kafka_and_the_spool()
    {
        using var f = new KafkaJournalFixture(configure: SmallSegments);
        await f.Burst(600, 5000, "rep", CancellationToken.None);
        await f.WaitForwarded(TimeSpan.FromSeconds(60));
        long all = f.Journal.Spool.LastAssigned;
        f.Journal.ReportProjected(all);
        await SpoolFaultTests.WaitUntil(() => f.Journal.Spool.Segments().Length == 1, TimeSpan.FromSeconds(5));
        long firstInSpool = f.Journal.Spool.Segments()[0].FirstSequence;
        Assert.True(firstInSpool > 100);
        var read = new List<JournalRecord>();
        await foreach (JournalRecord r in f.Journal.ReadAsync(100, CancellationToken.None)) read.Add(r);
        Assert.Equal(Enumerable.Range(100, (int)(all - 99)).Select(i => (long)i), read.Select(r => r.Id.Sequence));
        Assert.Equal("rep-49", read[0].Event.TransactionId); // sequences 99 and 100 are transaction 49's two events
    }

    [Fact]
    public async Task Replay_after_a_restart_returns_what_was_durable_before_it()
    {
        using var f = new KafkaJournalFixture();
        await f.Burst(20, 5000, "rs", CancellationToken.None);
        long last = f.Journal.Spool.LastAssigned;
        f.Restart();
        var read = new List<JournalRecord>();
        await foreach (JournalRecord r in f.Journal.ReadAsync(1, CancellationToken.None)) read.Add(r);
        Assert.Equal(40, read.Count);
        Assert.Equal(last, read[^1].Id.Sequence);
        Assert.Equal("rs-19", read[^1].Event.TransactionId);
    }
}
