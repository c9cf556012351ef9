using Serilog;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;

namespace Switch.Journal.Postgres.Tests;

/// <summary>The projector consumes the journal topic (librdkafka's mock cluster) into journal_leg and tranlog exactly once.</summary>
[Collection("kafka")]
public sealed class ProjectorTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TestDatabase _db = new();
    private JournalFeed _feed = null!;

    public Task InitializeAsync()
    {
        _feed = new JournalFeed();
        return _db.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        _feed.Dispose();
        await _db.DisposeAsync();
    }

    private TranlogProjector Projector(ProjectionStore? store = null, int batchLegsMax = 500, int writers = 1) =>
        new(new ProjectorOptions { BatchLegsMax = batchLegsMax, BatchLingerMs = 20, RetryBackoffMs = 100, RetryBackoffMaxMs = 500, Writers = writers },
            _feed.Cluster.BootstrapServers, store ?? new ProjectionStore(_db.DataSource, "switch-projector"), LegRows.TryDecode, Serilog.Core.Logger.None);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Every_leg_is_projected_once_with_one_tranlog_row_per_transaction(int writers)
    {
        _feed.ProduceApproved(300);
        await using var projector = Projector(batchLegsMax: 100, writers: writers);
        projector.Start(CancellationToken.None);

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 1200, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Equal(1200, projector.Counters.LegsInserted);
    }

    [Fact]
    public async Task Events_resent_after_a_fatal_producer_error_are_dropped_by_the_unique_key()
    {
        var first = _feed.ProduceApproved(100);
        // F5's duplicate path: the spool resends what Kafka may already hold, under a new producer id.
        _feed.Resend(first.Take(120));
        _feed.ProduceApproved(50);
        await using var projector = Projector();
        projector.Start(CancellationToken.None);

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 600, Patience);
        await WaitUntilAsync(() => projector.Counters.LegsDuplicate >= 120);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Equal(120, projector.Counters.LegsDuplicate);
    }

    [Fact]
    public async Task A_restarted_projector_resumes_from_its_stored_offsets_without_rewriting()
    {
        _feed.ProduceApproved(100);
        await using (var first = Projector())
        {
            first.Start(CancellationToken.None);
            await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 400, Patience);
        }
        _feed.ProduceApproved(100);
        await using var second = Projector();
        second.Start(CancellationToken.None);

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 800, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Equal((400L, 0L), (second.Counters.LegsInserted, second.Counters.LegsDuplicate));
    }

    [Fact]
    public async Task An_undecodable_record_is_kept_as_a_reject_and_does_not_stop_the_projection()
    {
        _feed.ProduceApproved(10);
        _feed.SendRaw("txn-garbage", [0x09, 0x01, 0x02]);
        _feed.ProduceApproved(10);
        await using var projector = Projector();
        projector.Start(CancellationToken.None);

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 80, Patience);
        await WaitUntilAsync(() => projector.Counters.Rejects >= 1);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.Contains("truncated", await _db.ScalarAsync<string>("SELECT reason FROM projection_reject"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Two_projectors_in_one_group_split_the_partitions_and_project_everything_once(int writers)
    {
        await using var a = Projector(batchLegsMax: 100, writers: writers);
        await using var b = Projector(batchLegsMax: 100, writers: writers);
        a.Start(CancellationToken.None);
        b.Start(CancellationToken.None);
        await WaitUntilAsync(() => a.Assignment.Count > 0 && b.Assignment.Count > 0 && a.Assignment.Count + b.Assignment.Count == 4);
        _feed.ProduceApproved(400);

        await ExactlyOnce.WaitForLegsAsync(_db.ConnectionString, 1600, Patience);
        await ExactlyOnce.AssertAsync(_db.ConnectionString, _feed.Produced, _feed.Transactions);
        Assert.True(a.Counters.LegsInserted > 0 && b.Counters.LegsInserted > 0, $"a wrote {a.Counters.LegsInserted}, b wrote {b.Counters.LegsInserted}");
        Assert.Equal(1600, a.Counters.LegsInserted + b.Counters.LegsInserted);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience) Assert.Fail("condition not met in time");
            await Task.Delay(100);
        }
    }
}
