using Npgsql;
using Switch.Core.State;
using Switch.Core.Tests.Authorization;
using Switch.Core.Transactions;

namespace Switch.Core.Tests.State;

/// <summary>
/// Snapshots in Postgres (core_state_snapshot): the newest two of a node are kept; snapshots beyond the journal's end
/// are deleted; the rebuild uses the newest that reads, falls back to the one before, and to a replay from 0.
/// </summary>
public sealed class SnapshotStoreTests : IAsyncLifetime
{
    private readonly ThrowawayDatabase _db = new("corestate_test_");
    private NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
        await CoreStateStore.Schema.MigrateAsync(_source, TestTimeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task The_newest_two_are_kept_and_snapshots_beyond_the_journal_end_are_deleted()
    {
        var store = new CoreStateStore(_source);
        foreach (long s in new long[] { 10, 20, 30 }) await store.WriteAsync(1, s, [(byte)s], TestTimeout.Token);
        await store.WriteAsync(2, 5, [5], TestTimeout.Token);
        Assert.Equal(3L, await _db.ScalarAsync<long>("SELECT count(*) FROM core_state_snapshot"));
        var (kept, ahead) = await store.LoadAsync(1, 25, TestTimeout.Token);
        Assert.Equal(1, ahead);
        Assert.Equal([20L], kept.Select(k => k.Sequence));
        Assert.Equal([20], kept[0].State);
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM core_state_snapshot WHERE node_id = 1"));
    }

    [Fact]
    public async Task The_rebuild_skips_an_unreadable_newest_snapshot_uses_the_one_before_and_replays_after_it()
    {
        await using var rig = await StateRig.CreateAsync();
        var store = new CoreStateStore(_source);
        Assert.Equal("00", await rig.OnUs.CodeAsync(rig.OnUs.Txn('A', TransactionKind.Purchase, 10_000)));
        await rig.AppendAsync([.. rig.OnUs.Journal], onUsAlreadyLive: true);
        var shadow = rig.NewState();
        await rig.FoldAsync(shadow, 0);
        long good = shadow.Position;
        await store.WriteAsync(StateRig.Node, good, await shadow.WriteAsync(StateRig.Node, rig.Shape, TestTimeout.Token), TestTimeout.Token);
        rig.OnUs.Journal.Clear();
        Assert.Equal("00", await rig.OnUs.CodeAsync(rig.OnUs.Txn('A', TransactionKind.Purchase, 5_000)));
        await rig.AppendAsync([.. rig.OnUs.Journal], onUsAlreadyLive: true);
        long end = rig.Journal.Spool.DurableThrough;
        await store.WriteAsync(StateRig.Node, end, [1, 2, 3], TestTimeout.Token); // torn, as if written by another build

        var live = rig.NewState();
        var result = await CoreStateSnapshots.RebuildAsync(live, rig.NewState, rig.Journal, store, StateRig.Node, rig.Shape, end, Serilog.Core.Logger.None, TestTimeout.Token);
        Assert.Equal(good, result.SnapshotSequence);
        Assert.Equal(good + 1, result.ReplayedFrom);
        Assert.Equal(end - good, result.Replayed);
        Assert.Equal(85_000, (await live.OnUs.BalanceAsync(OnUsFixture.Account('A'), TestTimeout.Token)).AvailableMinor);
        Assert.Equal(await StateRig.DumpAsync(live, rig.OnUs.Clock.UtcNow), await StateRig.DumpAsync(result.Shadow, rig.OnUs.Clock.UtcNow));

        var noSnapshot = rig.NewState();
        var fromZero = await CoreStateSnapshots.RebuildAsync(noSnapshot, rig.NewState, rig.Journal, null, StateRig.Node, rig.Shape, end, Serilog.Core.Logger.None, TestTimeout.Token);
        Assert.Equal((null, 0L), (fromZero.SnapshotSequence, fromZero.ReplayedFrom));
        Assert.Equal(await StateRig.DumpAsync(noSnapshot, rig.OnUs.Clock.UtcNow), await StateRig.DumpAsync(live, rig.OnUs.Clock.UtcNow));
    }
}
