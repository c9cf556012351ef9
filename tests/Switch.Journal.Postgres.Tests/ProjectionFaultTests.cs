using Npgsql;
using Switch.Journal.Events;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// FAULTS.md F12, F13 and the projector killed between write and commit, each on a private throwaway Postgres cluster
/// (never the shared one). Each checks I1 (every approved transaction in the projection exactly once: 0 missing,
/// 0 doubled legs, one tranlog row with DE39 00 each) and I4 (no clear PAN in Postgres).
/// </summary>
[Collection("kafka")]
public sealed class ProjectionFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private PrivateCluster _cluster = null!;
    private TestDatabase _db = null!;
    private JournalFeed _feed = null!;

    public async Task InitializeAsync()
    {
        _cluster = await PrivateCluster.StartAsync();
        _db = new TestDatabase(_cluster.AdminConnectionString);
        await _db.InitializeAsync();
        _feed = new JournalFeed();
    }

    public async Task DisposeAsync()
    {
        _feed.Dispose();
        try
        {
            await _db.DisposeAsync();
        }
        catch (NpgsqlException)
        {
            // The cluster goes with the test anyway.
        }
        await _cluster.DisposeAsync();
    }

    private TranlogProjector Projector(ProjectionStore store, int writers = 1) =>
        new(new ProjectorOptions { BatchLegsMax = 200, BatchLingerMs = 20, RetryBackoffMs = 100, RetryBackoffMaxMs = 500, Writers = writers },
            _feed.Cluster.BootstrapServers, store, LegRows.TryDecode, Serilog.Core.Logger.None);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task F12_postgres_down_while_the_projector_runs_lags_then_catches_up_with_0_missing_and_0_doubled_I1_I4(int writers)
    {
        var store = new ProjectionStore(_db.DataSource, "switch-projector");
        await using var projector = Projector(store, writers);
        projector.Start(CancellationToken.None);
        _feed.ProduceApproved(200);
        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 800, Patience);

        await _cluster.StopAsync();
        // The journal keeps flowing into Kafka while Postgres is away (FAULTS.md stops it for 30 s; 5 s shows the same here).
        _feed.ProduceApproved(300);
        await Task.Delay(TimeSpan.FromSeconds(5));
        long writtenWhileDown = projector.Counters.LegsInserted;
        Assert.Equal(800, writtenWhileDown); // the projection lags: nothing could be written
        Assert.True(projector.Counters.BatchFailures > 0, "the projector never tried while Postgres was down");

        await _cluster.StartServerAsync();
        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 2000, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Equal((2000L, 0L), (projector.Counters.LegsInserted, projector.Counters.LegsDuplicate));
        await AssertOffsetsCoverEverythingAsync(2000);
    }

    [Fact]
    public async Task F12_postgres_down_under_the_journal_runtime_appends_go_on_the_projection_lags_then_catches_up_with_0_missing_and_0_doubled_I1()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sjf12-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            await using var runtime = await JournalRuntime.StartAsync(JournalRuntimeTests.Options(dir, retentionMs: 0), JournalRuntimeTests.Projector(),
                new PostgresOptions { ConnectionString = _db.ConnectionString, ConnectTimeoutMs = 1_000 }, Serilog.Core.Logger.None, CancellationToken.None);
            await JournalRuntimeTests.AppendAsync(runtime, "up", 100);
            long upLast = runtime.Journal.Spool.LastAssigned;
            await JournalRuntimeTests.WaitUntilAsync(() => runtime.ProjectedThrough == upLast);

            await _cluster.StopAsync();
            // Every append is still acknowledged: the spool (and Kafka) take them; only the projection waits.
            await JournalRuntimeTests.AppendAsync(runtime, "down", 300);
            long last = runtime.Journal.Spool.LastAssigned;
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.True(runtime.ProjectedThrough < last, "the projection cannot have moved with Postgres down");
            Assert.True(runtime.Journal.Spool.Segments()[0].FirstSequence <= runtime.ProjectedThrough + 1, "a segment left the spool before Postgres had it");

            await _cluster.StartServerAsync();
            await JournalRuntimeTests.WaitUntilAsync(() => runtime.ProjectedThrough == last);
            // A pool of its own: the test database's pool still holds connections whose backend died with the server.
            await using var fresh = NpgsqlDataSource.Create(_db.ConnectionString);
            await using var counts = fresh.CreateCommand(
                "SELECT count(*), count(DISTINCT (event_node, event_seq)), (SELECT sum(leg_count) FROM tranlog)::bigint FROM journal_leg");
            await using var reader = await counts.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal((800L, 800L, 800L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
            long replayed = 0;
            await foreach (var _ in runtime.ReadAsync(1, CancellationToken.None)) replayed++;
            Assert.Equal(800, replayed);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task F13_postgres_killed_with_synchronous_commit_on_keeps_every_committed_row_and_resumes_from_its_stored_offset_I1_I4(int writers)
    {
        Assert.Equal("on", await _db.ScalarAsync<string>("SHOW synchronous_commit"));
        var store = new ProjectionStore(_db.DataSource, "switch-projector");
        await using var projector = Projector(store, writers);
        projector.Start(CancellationToken.None);
        _feed.ProduceApproved(500);
        // Kill the postmaster mid-projection: some batches are committed, one may be in flight.
        await ProjectorTests.WaitUntilAsync(() => projector.Counters.LegsInserted >= 400);
        var committed = await StoredIdsAsync(_db.ConnectionString);
        await _cluster.KillPostmasterAsync();

        await _cluster.StartServerAsync();
        var recovered = await StoredIdsAsync(_db.ConnectionString);
        Assert.Empty(committed.Except(recovered)); // every row committed before the crash survived WAL recovery

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 2000, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        // Resumed from the stored offset: nothing already stored was read and written again.
        Assert.Equal((2000L, 0L), (projector.Counters.LegsInserted, projector.Counters.LegsDuplicate));
        await AssertOffsetsCoverEverythingAsync(2000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_projector_killed_between_write_and_commit_loses_nothing_and_doubles_nothing_I1_I4(int writers)
    {
        _feed.ProduceApproved(300);
        var dying = new ProjectionStore(_db.DataSource, "switch-projector");
        int batches = 0;
        long committed;
        // The third batch is written (COPY, legs, tranlog, offsets) and the process dies before COMMIT.
        dying.BeforeCommitAsync = _ => Interlocked.Increment(ref batches) == 3 ? throw new ProcessKilled() : Task.CompletedTask;
        await using (var first = Projector(dying, writers))
        {
            first.Start(CancellationToken.None);
            await Assert.ThrowsAsync<ProcessKilled>(() => first.Completion.WaitAsync(Patience));
            // One writer: exactly the two batches before it. Two: the other writer's batches may commit until the loop
            // sees the death (what counts is below: the rows and offsets are those of the committed batches only).
            if (writers == 1) Assert.Equal(2, first.Counters.Batches);
            else Assert.True(first.Counters.Batches >= 2, $"{first.Counters.Batches} batches committed");
            committed = first.Counters.LegsInserted;
        }
        // Only the committed batches are there; the third, written but not committed, is not.
        Assert.Equal(committed, await _db.ScalarAsync<long>("SELECT count(*) FROM journal_leg"));
        Assert.Equal(committed, (await dying.ReadOffsetsAsync(JournalFeed.Topic, CancellationToken.None)).Sum(o => o.NextOffset));

        // The restarted process: same group, reads on from the stored offsets.
        await using var restarted = Projector(new ProjectionStore(_db.DataSource, "switch-projector"));
        restarted.Start(CancellationToken.None);
        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 1200, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Equal((1200L - committed, 0L), (restarted.Counters.LegsInserted, restarted.Counters.LegsDuplicate));
    }

    private static async Task<HashSet<EventId>> StoredIdsAsync(string connectionString)
    {
        var ids = new HashSet<EventId>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT event_node, event_seq FROM journal_leg", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(new EventId((uint)reader.GetInt64(0), reader.GetInt64(1)));
        return ids;
    }

    // Per partition, the stored next offset is the topic's end and what the rows imply (every record is a leg, the
    // first at offset 0): count = max(source_offset) + 1 = next_offset = high watermark; summed, the legs produced.
    private async Task AssertOffsetsCoverEverythingAsync(long legs)
    {
        // A pool of its own: the projector's data source may still hold idle connections whose backend died with the
        // server (NpgsqlConnection.ClearAllPools does not reach a data source's pool), and the first use of one throws
        // 57P01. The projector survives that by reading again; a one-shot check must not trip on it.
        await using var dataSource = NpgsqlDataSource.Create(_db.ConnectionString);
        var stored = (await new ProjectionStore(dataSource, "switch-projector").ReadOffsetsAsync(JournalFeed.Topic, CancellationToken.None))
            .ToDictionary(o => o.Partition, o => o.NextOffset);
        long[] ends = _feed.EndOffsets();
        var seen = new List<string>();
        bool consistent = stored.Keys.All(p => p >= 0 && p < ends.Length);
        for (int p = 0; p < ends.Length; p++)
        {
            long next = stored.GetValueOrDefault(p);
            (long rows, long implied) = await RowsOfAsync(dataSource, p);
            seen.Add($"p{p}: stored {next}, end {ends[p]}, rows {rows}, max offset + 1 {implied}");
            consistent &= next == ends[p] && next == rows && next == implied;
        }
        Assert.True(consistent && stored.Values.Sum() == legs, $"stored offsets do not cover the {legs} legs: {string.Join("; ", seen)}");
    }

    private static async Task<(long Rows, long Implied)> RowsOfAsync(NpgsqlDataSource dataSource, int partition)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*), coalesce(max(source_offset) + 1, 0) FROM journal_leg WHERE source_topic = $1 AND source_partition = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = JournalFeed.Topic });
        command.Parameters.Add(new NpgsqlParameter { Value = partition });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private sealed class ProcessKilled : Exception;
}
