using Npgsql;
using Switch.Journal.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>One batch = legs + tranlog + offsets in one transaction; duplicates dropped by event id; stale owners fenced.</summary>
public sealed class ProjectionStoreTests : IAsyncLifetime
{
    private const string Topic = "switch.journal";
    private readonly TestDatabase _db = new();
    private ProjectionStore _store = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _store = new ProjectionStore(_db.DataSource, "test-group");
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    private static PartitionRange Range(int partition, long first, long next) => new(Topic, partition, first, next);

    [Fact]
    public async Task A_batch_writes_its_legs_one_tranlog_row_per_transaction_and_its_next_offset()
    {
        var legs = Legs.At(Topic, 0, 0, [.. Legs.Approved("txn-1"), .. Legs.Approved("txn-2")]);

        var outcome = await _store.WriteAsync(legs, [], [Range(0, 0, 8)], CancellationToken.None);

        Assert.Equal(new BatchOutcome(false, 8, 0, 2), outcome);
        Assert.Equal(8L, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg"));
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM tranlog"));
        Assert.Equal([new StoredOffset(Topic, 0, 8)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
        Assert.Equal("response_out|00|none|4|0100|476173******0010",
            await _db.ScalarAsync<string>("SELECT concat_ws('|', state, final_response, reversal_status, leg_count, mti, pan_masked) FROM tranlog WHERE txn_id = 'txn-1'"));
        Assert.Equal("0010", await _db.ScalarAsync<string>("SELECT DISTINCT pan_last4 FROM journal_leg"));
    }

    [Fact]
    public async Task A_resent_event_is_stored_once_and_does_not_count_twice_in_the_tranlog()
    {
        var approved = Legs.Approved("txn-1");
        await _store.WriteAsync(Legs.At(Topic, 0, 0, approved), [], [Range(0, 0, 4)], CancellationToken.None);

        // The producer died after Kafka persisted the legs; the spool resent them under a new producer id (F5).
        var outcome = await _store.WriteAsync(Legs.At(Topic, 0, 4, approved), [], [Range(0, 4, 8)], CancellationToken.None);

        Assert.Equal(new BatchOutcome(false, 0, 4, 0), outcome);
        Assert.Equal(4L, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg"));
        Assert.Equal(4, await _db.ScalarAsync<int>("SELECT leg_count FROM tranlog"));
        Assert.Equal([new StoredOffset(Topic, 0, 8)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
    }

    [Fact]
    public async Task The_same_event_twice_in_one_batch_is_stored_once()
    {
        var leg = Legs.Row("txn-1", "request_in", "0100", 0);
        var outcome = await _store.WriteAsync(Legs.At(Topic, 0, 0, leg, leg), [], [Range(0, 0, 2)], CancellationToken.None);

        Assert.Equal(1, outcome.LegsInserted);
        Assert.Equal(1, await _db.ScalarAsync<int>("SELECT leg_count FROM tranlog"));
    }

    [Fact]
    public async Task A_batch_that_starts_before_the_stored_offset_is_fenced_out_and_writes_nothing()
    {
        await _store.WriteAsync(Legs.At(Topic, 0, 0, Legs.Approved("txn-1")), [], [Range(0, 0, 4)], CancellationToken.None);

        // A previous owner of partition 0, still running after a rebalance, writes what it read from offset 2.
        var stale = Legs.At(Topic, 0, 2, Legs.Approved("txn-9"));
        var outcome = await _store.WriteAsync(stale, [], [Range(0, 2, 6)], CancellationToken.None);

        Assert.True(outcome.Fenced);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg WHERE txn_id = 'txn-9'"));
        Assert.Equal([new StoredOffset(Topic, 0, 4)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
    }

    [Fact]
    public async Task Partitions_keep_their_own_offsets()
    {
        var legs = Legs.At(Topic, 0, 10, Legs.Approved("a")).Concat(Legs.At(Topic, 3, 100, Legs.Approved("b"))).ToList();
        await _store.WriteAsync(legs, [], [Range(0, 0, 14), Range(3, 0, 104)], CancellationToken.None);

        Assert.Equal([new StoredOffset(Topic, 0, 14), new StoredOffset(Topic, 3, 104)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
        var otherGroup = new ProjectionStore(_db.DataSource, "another-group");
        Assert.Empty(await otherGroup.ReadOffsetsAsync(Topic, CancellationToken.None));
    }

    [Fact]
    public async Task The_tranlog_follows_a_transaction_across_batches_through_its_reversal()
    {
        var legs = Legs.Approved("txn-1");
        await _store.WriteAsync(Legs.At(Topic, 0, 0, legs[0], legs[1]), [], [Range(0, 0, 2)], CancellationToken.None);
        Assert.Equal("request_out||none|2", await TranlogAsync("txn-1"));

        await _store.WriteAsync(Legs.At(Topic, 0, 2, legs[2], legs[3]), [], [Range(0, 2, 4)], CancellationToken.None);
        Assert.Equal("response_out|00|none|4", await TranlogAsync("txn-1"));

        var reversal = Legs.Row("txn-1", "reversal_sent", "0420", 10, reversal: ReversalProgress.Requested);
        await _store.WriteAsync(Legs.At(Topic, 0, 4, reversal), [], [Range(0, 4, 5)], CancellationToken.None);
        Assert.Equal("reversal_sent|00|requested|5", await TranlogAsync("txn-1"));

        var acknowledged = Legs.Row("txn-1", "reversal_answered", "0430", 11, "00", reversal: ReversalProgress.Reversed);
        // A late copy of the reversal request arrives after the acknowledgement: the status never goes back.
        var lateCopy = Legs.Row("txn-1", "reversal_sent", "0421", 9, reversal: ReversalProgress.Requested);
        await _store.WriteAsync(Legs.At(Topic, 0, 5, acknowledged, lateCopy), [], [Range(0, 5, 7)], CancellationToken.None);
        Assert.Equal("reversal_answered|00|reversed|7", await TranlogAsync("txn-1"));
        Assert.Equal("0100", await _db.ScalarAsync<string>("SELECT mti FROM tranlog WHERE txn_id = 'txn-1'"));
    }

    [Fact]
    public async Task Undecodable_records_are_kept_as_rejects_and_their_offsets_advance()
    {
        var rejects = new[] { new ProjectedReject(Topic, 1, 7, "unknown codec version 9") };
        var outcome = await _store.WriteAsync([], rejects, [Range(1, 7, 8)], CancellationToken.None);

        Assert.False(outcome.Fenced);
        Assert.Equal("unknown codec version 9", await _db.ScalarAsync<string>("SELECT reason FROM projection_reject WHERE kafka_offset = 7"));
        Assert.Equal([new StoredOffset(Topic, 1, 8)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_that_fails_midway_leaves_rows_and_offsets_as_they_were()
    {
        await _store.WriteAsync(Legs.At(Topic, 0, 0, Legs.Approved("txn-1")), [], [Range(0, 0, 4)], CancellationToken.None);
        // The second leg breaks a constraint (an unmasked PAN), after the first was copied and the offset advanced.
        var bad = Legs.Row("txn-2", "request_in", "0100", 0) with { PanMasked = "4000000000000002" };
        var batch = Legs.At(Topic, 0, 4, Legs.Row("txn-2", "request_out", "0100", 1), bad);

        await Assert.ThrowsAsync<PostgresException>(() => _store.WriteAsync(batch, [], [Range(0, 4, 6)], CancellationToken.None));

        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg WHERE txn_id = 'txn-2'"));
        Assert.Equal([new StoredOffset(Topic, 0, 4)], await _store.ReadOffsetsAsync(Topic, CancellationToken.None));
    }

    [Fact]
    public async Task An_empty_range_is_a_programming_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteAsync([], [], [Range(0, 5, 5)], CancellationToken.None));
    }

    private Task<string> TranlogAsync(string txn) =>
        _db.ScalarAsync<string>($"SELECT concat_ws('|', state, coalesce(final_response, ''), reversal_status, leg_count) FROM tranlog WHERE txn_id = '{txn}'");

    [Fact]
    public async Task Legs_read_back_from_journal_leg_become_the_events_that_were_projected_in_sequence_order()
    {
        var events = Enumerable.Range(0, 30).SelectMany(i => RuntimeEvents.Transaction($"txn-rb-{i}", i)).ToList();
        var records = events.Select((e, i) => new Switch.Journal.Events.JournalRecord(new Switch.Journal.Events.EventId(9, 1_000 + i * 3), e)).ToList();
        var legs = records.Select((r, i) => new ProjectedLeg(Switch.Journal.Projection.LegRows.From(r), Topic, 0, i)).Reverse().ToList();
        await _store.WriteAsync(legs, [], [Range(0, 0, legs.Count)], CancellationToken.None);

        var back = new List<Switch.Journal.Events.JournalRecord>();
        await foreach (var row in _store.ReadLegsAsync(9, 1_003, long.MaxValue, pageRows: 7, CancellationToken.None))
            back.Add(Switch.Journal.Projection.LegRows.ToRecord(row));

        Assert.Equal(records.Skip(1).Select(r => r.Id), back.Select(r => r.Id));
        for (int i = 0; i < back.Count; i++) RuntimeEvents.AssertSame(records[i + 1].Event, back[i].Event);
        Assert.Equal(1_000 + 59 * 3, await _store.HighestSequenceAsync(9, CancellationToken.None));
        Assert.Equal([1_003L, 1_006L], await _store.StoredSequencesAsync(9, 1_001, 1_008, CancellationToken.None));
    }
}
