using Switch.Core.Tests.State;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>
/// A pre-authorization hold is released after core.holdExpiryMinutes by one journaled event decided on the wall clock
/// of the replaceable IClock; a replay folds that event and never decides an expiry itself; a completion after expiry
/// is a late debit; a release the journal refuses is undone and tried again.
/// </summary>
public sealed class HoldExpiryTests
{
    private static CoreOptions Options() => new() { Partitions = 2, PartitionQueueMax = 1_000, HoldExpiryMinutes = 60 };

    [Fact]
    public async Task A_hold_is_released_once_by_a_journaled_event_after_its_lifetime_and_not_before()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        var f = rig.OnUs;
        var auth = f.Txn('A', TransactionKind.Authorization, 30_000);
        Assert.Equal("00", await CommitAsync(rig, auth));
        Assert.Equal(70_000, await f.AvailableAsync('A'));

        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(59);
        Assert.Equal(0, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));
        Assert.Equal(70_000, await f.AvailableAsync('A'));

        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(1);
        Assert.Equal(1, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
        Assert.Equal(0, (await f.BalanceAsync('A')).HoldCount);
        Assert.Equal(0, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));

        var records = await RecordsAsync(rig);
        var release = Assert.Single(records, r => r.Event.Kind == LegKind.BalanceRelease);
        Assert.Equal(auth.TransactionId, release.Event.TransactionId);
        Assert.Equal(30_000, release.Event.AmountMinor);
        Assert.Equal("DEMO-ACC-A", release.Event.AccountId);
        Assert.Contains("x=1", release.Event.Detail, StringComparison.Ordinal);
        Assert.Contains($"o={auth.TransactionId}", release.Event.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_folds_the_journaled_release_and_never_releases_a_due_hold_by_itself()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        var f = rig.OnUs;
        Assert.Equal("00", await CommitAsync(rig, f.Txn('A', TransactionKind.Authorization, 30_000)));
        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(61);
        Assert.Equal("00", await CommitAsync(rig, f.Txn('F', TransactionKind.Authorization, 20_000)));
        Assert.Equal(1, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token)); // A's; F's is fresh

        // Hours later a rebuild: A's release is folded from the journal; F's hold, due by now, stays until a live pass decides it.
        f.Clock.UtcNow = f.Clock.UtcNow.AddHours(5);
        var rebuilt = rig.NewState();
        await rig.FoldAsync(rebuilt, 0);
        var a = await rebuilt.OnUs.BalanceAsync(OnUsFixture.Account('A'), TestTimeout.Token);
        var fBalance = await rebuilt.OnUs.BalanceAsync(OnUsFixture.Account('F'), TestTimeout.Token);
        Assert.Equal((100_000, 0), (a.AvailableMinor, a.HoldCount));
        Assert.Equal((80_000, 1), (fBalance.AvailableMinor, fBalance.HoldCount));
        Assert.Single(await RecordsAsync(rig), r => r.Event.Kind == LegKind.BalanceRelease);

        Assert.Equal(1, await rebuilt.OnUs.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));
        Assert.Equal(100_000, (await rebuilt.OnUs.BalanceAsync(OnUsFixture.Account('F'), TestTimeout.Token)).AvailableMinor);
    }

    [Fact]
    public async Task A_completion_after_expiry_is_a_late_debit_and_a_reversal_of_the_expired_hold_gives_back_nothing()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        var f = rig.OnUs;
        var auth = f.Txn('A', TransactionKind.Authorization, 30_000);
        var other = f.Txn('F', TransactionKind.Authorization, 10_000);
        Assert.Equal("00", await CommitAsync(rig, auth));
        Assert.Equal("00", await CommitAsync(rig, other));
        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(90);
        Assert.Equal(2, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));

        var completion = await f.SendAsync(f.Txn('A', TransactionKind.Advice, 25_000, pin: "", original: OnUsFixture.OriginalOf(auth)));
        Assert.Equal("00", completion.ResponseCode);
        var debit = Assert.Single(completion.Effects);
        Assert.Equal((LegKind.BalanceDebit, 25_000L), (debit.Kind, debit.AmountMinor));
        Assert.Equal(75_000, await f.AvailableAsync('A'));

        var reversal = await f.SendAsync(f.Txn('F', TransactionKind.Reversal, 10_000, pin: "", original: OnUsFixture.OriginalOf(other)));
        Assert.Equal("00", reversal.ResponseCode);
        Assert.Empty(reversal.Effects);
        Assert.Equal(100_000, await f.AvailableAsync('F'));
    }

    [Fact]
    public async Task A_release_the_journal_refuses_is_undone_and_released_at_a_later_pass()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        await using var closed = await StateRig.CreateAsync(Options());
        closed.Journal.Dispose();
        var f = rig.OnUs;
        Assert.Equal("00", await CommitAsync(rig, f.Txn('A', TransactionKind.Authorization, 30_000)));
        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(61);

        Assert.Equal(0, await f.Authorizer.ExpireHoldsAsync(closed.Journal, TestTimeout.Token));
        await f.Authorizer.DrainAsync(TestTimeout.Token);
        Assert.Equal((70_000L, 1), ((await f.BalanceAsync('A')).AvailableMinor, (await f.BalanceAsync('A')).HoldCount));
        Assert.DoesNotContain(await RecordsAsync(rig), r => r.Event.Kind == LegKind.BalanceRelease);

        Assert.Equal(1, await f.Authorizer.ExpireHoldsAsync(rig.Journal, TestTimeout.Token));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public void The_hold_lifetime_is_validated_with_the_key_named()
    {
        var section = new Switch.Common.Configuration.ConfigSection("switch.json", "core", System.Text.Json.JsonDocument.Parse("""{"holdExpiryMinutes": 0}""").RootElement.Clone());
        var ex = Assert.Throws<Switch.Common.Configuration.ConfigException>(() => CoreOptions.FromSection(section));
        Assert.Contains("holdExpiryMinutes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(10_080, new CoreOptions().HoldExpiryMinutes);
    }

    /// <summary>Decides, journals the effects (as the pipeline's one append would) and commits.</summary>
    private static async Task<string> CommitAsync(StateRig rig, CardTransaction txn)
    {
        var decision = await rig.OnUs.Authorizer.AuthorizeAsync(rig.OnUs.Request(txn), TestTimeout.Token);
        if (decision.Effects.Count > 0) await rig.Journal.AppendAsync(decision.Effects, TestTimeout.Token);
        rig.OnUs.Authorizer.Commit(decision);
        return decision.ResponseCode;
    }

    private static async Task<List<JournalRecord>> RecordsAsync(StateRig rig)
    {
        var all = new List<JournalRecord>();
        await foreach (var r in rig.Journal.ReadAsync(0, TestTimeout.Token)) all.Add(r);
        return all;
    }
}
