using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.State;
using Switch.Core.Tests.Authorization;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.State;

/// <summary>
/// A rebuild from a snapshot at any position plus the replay after it gives exactly the state of a replay from 0 (and
/// the live state): random on-us decisions, hold expiries, remote legs, store-and-forward entries and answers, all
/// through a real journal, a snapshot taken at a random sequence.
/// </summary>
public sealed class SnapshotEquivalenceTests
{
    private static CoreOptions Options() => new() { Partitions = 2, PartitionQueueMax = 1_000, HoldExpiryMinutes = 30 };

    [Fact]
    public void A_snapshot_at_any_position_plus_the_replay_after_it_equals_a_replay_from_zero()
    {
        var ops = Gen.Choose(0, 1_000_000).ArrayOf().Select(a => a.Take(50).ToArray());
        var split = Gen.Choose(0, 1_000);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(12).WithQuietOnSuccess(true), Prop.ForAll(ops.ToArbitrary(), split.ToArbitrary(), (seq, at) =>
            Task.Run(() => RebuildsAlikeAsync(seq, at)).GetAwaiter().GetResult()));
    }

    [Fact]
    public async Task A_reversal_queued_before_the_snapshot_and_answered_after_it_leaves_the_queue_and_one_unanswered_stays()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        var now = rig.OnUs.Clock.UtcNow;
        await rig.AppendAsync([StateRig.ReversalQueued("r-1", "TERM0001|000001|1204101112|123456", "000001", now)], false);
        await rig.AppendAsync([StateRig.ReversalQueued("r-2", "TERM0001|000002|1204101112|123456", "000002", now)], false);
        await rig.AppendAsync([StateRig.Delivery("r-1", answered: false, 0, now)], false);
        var shadow = rig.NewState();
        await rig.FoldAsync(shadow, 0);
        long position = shadow.Position;
        byte[] snapshot = await shadow.WriteAsync(StateRig.Node, rig.Shape, TestTimeout.Token);
        await rig.AppendAsync([StateRig.Delivery("r-1", answered: true, 1, now)], false);

        var rebuilt = rig.NewState();
        Assert.True(await rebuilt.ReadAsync(snapshot, StateRig.Node, rig.Shape, TestTimeout.Token));
        Assert.Equal(position, rebuilt.Position);
        Assert.Equal(2, rebuilt.Gateway.StoreAndForward.Depth(StateRig.Connector));
        Assert.Equal(1, rebuilt.Gateway.StoreAndForward.Entries(StateRig.Connector)[0].Attempts);
        Assert.Equal(1, await rig.FoldAsync(rebuilt, position + 1));
        var left = Assert.Single(rebuilt.Gateway.StoreAndForward.Entries(StateRig.Connector));
        Assert.Equal("r-2", left.TransactionId);
        Assert.Equal(0, left.Attempts);
    }

    [Fact]
    public async Task A_snapshot_of_another_node_or_shape_is_refused_and_changes_nothing()
    {
        await using var rig = await StateRig.CreateAsync(Options());
        Assert.Equal("00", await rig.OnUs.CodeAsync(rig.OnUs.Txn('A', TransactionKind.Purchase, 10_000)));
        await rig.AppendAsync([.. rig.OnUs.Journal], onUsAlreadyLive: true);
        var shadow = rig.NewState();
        await rig.FoldAsync(shadow, 0);
        byte[] snapshot = await shadow.WriteAsync(StateRig.Node, rig.Shape, TestTimeout.Token);

        var other = rig.NewState();
        string empty = await StateRig.DumpAsync(other, rig.OnUs.Clock.UtcNow);
        Assert.False(await other.ReadAsync(snapshot, StateRig.Node + 1, rig.Shape, TestTimeout.Token));
        Assert.False(await other.ReadAsync(snapshot, StateRig.Node, rig.Shape.Replace("p=2", "p=3", StringComparison.Ordinal), TestTimeout.Token));
        Assert.Equal(empty, await StateRig.DumpAsync(other, rig.OnUs.Clock.UtcNow));
        Assert.Equal(0, other.Position);
        await Assert.ThrowsAnyAsync<Exception>(() => other.ReadAsync(snapshot[..(snapshot.Length / 2)], StateRig.Node, rig.Shape, TestTimeout.Token));
    }

    private static async Task<bool> RebuildsAlikeAsync(int[] seq, int at)
    {
        await using var rig = await StateRig.CreateAsync(Options());
        var sent = new List<CardTransaction>();
        var remote = new List<(string Txn, string Key)>();
        var queued = new List<(string Txn, int Tries)>();
        int n = 0;
        foreach (int v in seq)
        {
            n++;
            await StepAsync(rig, v, n, sent, remote, queued);
        }
        var clock = rig.OnUs.Clock;
        long last = rig.Journal.Spool.DurableThrough;
        long k = last == 0 ? 0 : at % (last + 1);

        var full = rig.NewState();
        await rig.FoldAsync(full, 0);
        var shadow = rig.NewState();
        await rig.FoldAsync(shadow, 0, k);
        byte[] snapshot = await shadow.WriteAsync(StateRig.Node, rig.Shape, TestTimeout.Token);
        var rebuilt = rig.NewState();
        if (!await rebuilt.ReadAsync(snapshot, StateRig.Node, rig.Shape, TestTimeout.Token)) throw new InvalidOperationException("snapshot refused");
        await rig.FoldAsync(rebuilt, rebuilt.Position + 1);

        string fromZero = await StateRig.DumpAsync(full, clock.UtcNow);
        string fromSnapshot = await StateRig.DumpAsync(rebuilt, clock.UtcNow);
        string live = await StateRig.DumpAsync(rig.Live, clock.UtcNow);
        // The live duplicate memory counts its window on the real monotonic clock while the test moves the wall clock
        // in jumps (a replay measures age on the wall clock): compared between rebuilds only.
        static string NoDuplicates(string dump) => string.Join("\n", dump.Split('\n').Where(l => !l.StartsWith("dup ", StringComparison.Ordinal)));
        if (fromZero != fromSnapshot || NoDuplicates(fromZero) != NoDuplicates(live))
            throw new InvalidOperationException($"ops {string.Join(",", seq)} split {k} of {last}\nfrom 0:\n{fromZero}\nfrom snapshot:\n{fromSnapshot}\nlive:\n{live}");
        return true;
    }

    private static async Task StepAsync(StateRig rig, int v, int n, List<CardTransaction> sent, List<(string Txn, string Key)> remote, List<(string Txn, int Tries)> queued)
    {
        var f = rig.OnUs;
        var now = f.Clock.UtcNow;
        char letter = "ABF"[v / 10 % 3];
        long amount = (v / 30 % 40 + 1) * 1_000;
        int pick = v / 7;
        string stan = (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        switch (v % 12)
        {
            case 0: await OnUsAsync(rig, f.Txn(letter, TransactionKind.Purchase, amount), sent); break;
            case 1: await OnUsAsync(rig, f.Txn(letter, TransactionKind.Authorization, amount), sent); break;
            case 2: await OnUsAsync(rig, f.Txn(letter, TransactionKind.Purchase, amount, pin: "0000"), sent); break;
            case 3:
                var auths = sent.Where(t => t.Kind == TransactionKind.Authorization).ToList();
                if (auths.Count > 0)
                {
                    var auth = auths[pick % auths.Count];
                    await OnUsAsync(rig, f.Txn(LetterOf(auth), TransactionKind.Advice, amount / 2, pin: "", original: OnUsFixture.OriginalOf(auth)), sent);
                }
                break;
            case 4:
                if (sent.Count > 0)
                {
                    var original = sent[pick % sent.Count];
                    if (original.Kind is TransactionKind.Purchase or TransactionKind.Authorization)
                        await OnUsAsync(rig, f.Txn(LetterOf(original), TransactionKind.Reversal, original.AmountMinor, pin: "", original: OnUsFixture.OriginalOf(original)), sent);
                }
                break;
            case 5:
                // Time passes: some holds outlive the 30-minute lifetime and are released by journaled events.
                f.Clock.UtcNow = now.AddMinutes(v / 12 % 25 + 1);
                await rig.Live.OnUs.ExpireHoldsAsync(rig.Journal, TestTimeout.Token);
                break;
            case 6:
                string key = $"TERM0001|{stan}|1204101112|123456";
                string txn = "rm-" + n.ToString(CultureInfo.InvariantCulture);
                await rig.AppendAsync([StateRig.RequestOut(txn, key, stan, now), StateRig.ResponseIn(txn, key, pick % 2 == 0 ? "00" : "05", now),
                    StateRig.ResponseOut(txn, stan, "1204101112", pick % 2 == 0 ? "00" : "05", now)], false);
                remote.Add((txn, key));
                break;
            case 7:
                string timedOut = "to-" + n.ToString(CultureInfo.InvariantCulture);
                string toKey = $"TERM0001|{stan}|1204101112|123456";
                await rig.AppendAsync([StateRig.RequestOut(timedOut, toKey, stan, now), StateRig.ReversalQueued(timedOut, toKey, stan, now),
                    StateRig.ResponseOut(timedOut, stan, "1204101112", "91", now)], false);
                queued.Add((timedOut, 0));
                break;
            case 8 or 9:
                if (queued.Count > 0)
                {
                    int i = pick % queued.Count;
                    var (q, tries) = queued[i];
                    bool answered = v % 12 == 9;
                    await rig.AppendAsync([StateRig.Delivery(q, answered, tries, now)], false);
                    if (answered) queued.RemoveAt(i);
                    else queued[i] = (q, tries + 1);
                }
                break;
            case 10: await OnUsAsync(rig, f.Txn(letter, TransactionKind.BalanceInquiry, 0), sent); break;
            default: await OnUsAsync(rig, f.Txn(letter, TransactionKind.Advice, amount, pin: ""), sent); break;
        }
    }

    /// <summary>An on-us decision journaled as the pipeline would (its effects and a ResponseOut), then committed.</summary>
    private static async Task OnUsAsync(StateRig rig, CardTransaction txn, List<CardTransaction> sent)
    {
        var decision = await rig.OnUs.Authorizer.AuthorizeAsync(rig.OnUs.Request(txn), TestTimeout.Token);
        var responseOut = StateRig.ResponseOut(txn.TransactionId, txn.Stan, txn.TransmissionDateTime, decision.ResponseCode, rig.OnUs.Clock.UtcNow);
        await rig.AppendAsync([.. decision.Effects, responseOut], onUsAlreadyLive: true);
        rig.OnUs.Authorizer.Commit(decision);
        if (decision.ResponseCode == "00") sent.Add(txn);
    }

    private static char LetterOf(CardTransaction txn) => Switch.Core.MasterData.DemoDataSet.Cards.Single(c => c.Pan == txn.Pan).Letter;
}
