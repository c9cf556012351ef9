using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Switch.Core.Authorization;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>Abort undoes a decision exactly; Apply over the committed effects rebuilds the same state (any partition count).</summary>
public sealed class OnUsAbortAndReplayTests
{
    [Fact]
    public async Task An_aborted_purchase_hold_and_wrong_PIN_leave_the_state_as_before()
    {
        await using var f = await OnUsFixture.CreateAsync();
        string before = await DumpAsync(f.Authorizer, f.Clock.UtcNow);
        Assert.Equal("00", (await f.SendAbortedAsync(f.Txn('A', TransactionKind.Purchase, 10_000))).ResponseCode);
        Assert.Equal("00", (await f.SendAbortedAsync(f.Txn('A', TransactionKind.Authorization, 20_000))).ResponseCode);
        Assert.Equal("55", (await f.SendAbortedAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "0000"))).ResponseCode);
        Assert.Equal(before, await DumpAsync(f.Authorizer, f.Clock.UtcNow));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task An_aborted_reversal_credits_nothing_and_the_next_reversal_still_finds_the_original()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var purchase = f.Txn('A', TransactionKind.Purchase, 10_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        var aborted = await f.SendAbortedAsync(f.Txn('A', TransactionKind.Reversal, 10_000, pin: "", original: OnUsFixture.OriginalOf(purchase)));
        Assert.Single(aborted.Effects);
        Assert.Equal(90_000, await f.AvailableAsync('A'));
        var reversal = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 10_000, mti: "0421", pin: "", original: OnUsFixture.OriginalOf(purchase)));
        Assert.Equal(10_000, Assert.Single(reversal.Effects).AmountMinor);
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task Abort_after_commit_and_a_second_abort_change_nothing()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var committed = await f.SendAsync(f.Txn('A', TransactionKind.Purchase, 10_000));
        f.Authorizer.Abort(committed);
        var aborted = await f.SendAbortedAsync(f.Txn('A', TransactionKind.Purchase, 5_000));
        f.Authorizer.Abort(aborted);
        Assert.Equal(90_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task Events_of_the_pipeline_and_details_not_written_by_the_authorizer_are_ignored_by_Apply()
    {
        await using var f = await OnUsFixture.CreateAsync();
        string before = await DumpAsync(f.Authorizer, f.Clock.UtcNow);
        long seq = 0;
        JournalRecord R(JournalEvent e) => new(new Switch.Journal.Events.EventId(1, ++seq), e);
        f.Authorizer.Apply(R(new JournalEvent { Kind = LegKind.RequestIn, TransactionId = "x", Mti = "0200", ResponseCode = "55" }));
        f.Authorizer.Apply(R(new JournalEvent { Kind = LegKind.ResponseOut, TransactionId = "x", Mti = "0210", ResponseCode = "00", AccountId = "DEMO-ACC-A" }));
        f.Authorizer.Apply(R(new JournalEvent { Kind = LegKind.BalanceDebit, TransactionId = "x", AccountId = "DEMO-ACC-A", AmountMinor = 5, Detail = "day=2026;dd=5" }));
        f.Authorizer.Apply(R(new JournalEvent { Kind = LegKind.BalanceDebit, TransactionId = "x", AccountId = "DEMO-ACC-A", AmountMinor = 5, Detail = "free text" }));
        f.Authorizer.Apply(R(new JournalEvent { Kind = LegKind.StateReset, TransactionId = "x", TerminalId = "TERM0001" })); // a terminal's reset, no account
        await f.Authorizer.DrainAsync(TestTimeout.Token);
        Assert.Equal(before, await DumpAsync(f.Authorizer, f.Clock.UtcNow));
    }

    [Fact]
    public void Any_sequence_of_operations_with_aborts_rebuilds_to_the_same_state_from_the_committed_effects()
    {
        var ops = Gen.Choose(0, 1_000_000).ArrayOf().Select(a => a.Take(60).ToArray());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40).WithQuietOnSuccess(true), Prop.ForAll(ops.ToArbitrary(), seq =>
            Task.Run(() => RebuildsAlikeAsync(seq)).GetAwaiter().GetResult()));
    }

    private static async Task<bool> RebuildsAlikeAsync(int[] seq)
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 2));
        var sent = new List<CardTransaction>();
        foreach (int v in seq)
        {
            char letter = "ABF"[v / 10 % 3];
            long amount = (v / 30 % 40 + 1) * 1_000;
            bool abort = v / 1_200 % 5 == 0;
            var txn = Operation(f, v % 10, letter, amount, v / 7, sent);
            if (txn is null) continue;
            var decision = abort ? await f.SendAbortedAsync(txn) : await f.SendAsync(txn);
            if (!abort && decision.ResponseCode == "00") sent.Add(txn);
        }
        string live = await DumpAsync(f.Authorizer, f.Clock.UtcNow);
        await using var rebuilt = f.NewAuthorizer(OnUsFixture.Options(partitions: 3));
        long sequence = 0;
        foreach (var e in f.Journal) rebuilt.Apply(new JournalRecord(new Switch.Journal.Events.EventId(1, ++sequence), e));
        string replayed = await DumpAsync(rebuilt, f.Clock.UtcNow);
        if (live != replayed) throw new InvalidOperationException($"ops {string.Join(",", seq)}\nlive:\n{live}\nreplayed:\n{replayed}\njournal:\n{string.Join("\n", f.Journal.Select(e => $"{e.Kind} {e.TransactionId} {e.AccountId} {e.AmountMinor} {e.Detail}"))}");
        return true;
    }

    private static CardTransaction? Operation(OnUsFixture f, int op, char letter, long amount, int pick, List<CardTransaction> sent)
    {
        CardTransaction? Earlier(Func<CardTransaction, bool> which)
        {
            var candidates = sent.Where(which).ToList();
            return candidates.Count == 0 ? null : candidates[pick % candidates.Count];
        }
        switch (op)
        {
            case 0: return f.Txn(letter, TransactionKind.Purchase, amount);
            case 1: return f.Txn(letter, TransactionKind.Authorization, amount);
            case 2: return f.Txn(letter, TransactionKind.Purchase, amount, pin: "0000");
            case 3:
                var auth = Earlier(t => t.Kind == TransactionKind.Authorization);
                return auth is null ? null : f.Txn(LetterOf(auth), TransactionKind.Advice, amount / 2, pin: "", original: OnUsFixture.OriginalOf(auth));
            case 4 or 5:
                var original = Earlier(t => t.Kind is TransactionKind.Purchase or TransactionKind.Authorization or TransactionKind.CashWithdrawal);
                return original is null ? null : f.Txn(LetterOf(original), TransactionKind.Reversal, original.AmountMinor, pin: "",
                    original: OnUsFixture.OriginalOf(original), replacement: op == 5 ? original.AmountMinor / 2 : null);
            case 6:
                f.Clock.UtcNow = f.Clock.UtcNow.AddHours(7); // days roll over: daily totals restart, old approvals leave the window
                return f.Txn(letter, TransactionKind.BalanceInquiry, 0);
            case 7: return f.Txn(letter, TransactionKind.CashWithdrawal, amount, pin: "");
            case 8:
                var reset = new JournalEvent { Kind = LegKind.StateReset, TransactionId = "reset", AccountId = Switch.Core.MasterData.DemoDataSet.Card(letter).Account };
                f.Journal.Add(reset);
                f.Authorizer.Apply(new JournalRecord(new Switch.Journal.Events.EventId(1, f.Journal.Count), reset));
                return null;
            default: return f.Txn(letter, TransactionKind.Advice, amount, pin: "");
        }
    }

    private static char LetterOf(CardTransaction txn) => Switch.Core.MasterData.DemoDataSet.Cards.Single(c => c.Pan == txn.Pan).Letter;

    /// <summary>Every account's balances, holds, total of the current UTC day (a past day's total matters to no decision), PIN tries, and the reversal entries still in the window, in a fixed order.</summary>
    internal static async Task<string> DumpAsync(OnUsAuthorizer authorizer, DateTime nowUtc)
    {
        var lines = new List<string>();
        for (int p = 0; p < authorizer.PartitionCount; p++)
        {
            lines.AddRange(await authorizer.InspectAsync(p, state =>
            {
                var own = new List<string>();
                foreach (var (id, a) in state.Accounts)
                {
                    long today = a.DailyOf(OnUsRules.DayOf(nowUtc));
                    if (a.Net == 0 && a.Held == 0 && today == 0 && a.PinTries.Count == 0 && a.Holds.Count == 0) continue; // as master data
                    own.Add(string.Create(CultureInfo.InvariantCulture,
                        $"account {id} net={a.Net} held={a.Held} today={today} holds=[{string.Join(",", a.Holds.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + ":" + h.Value))}] tries=[{string.Join(",", a.PinTries.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key[..8] + ":" + t.Value))}]"));
                }
                foreach (var e in state.ReversalEntries)
                {
                    if (e.TimeUtc < nowUtc - TimeSpan.FromMilliseconds(new CoreOptions().ReversalWindowMs)) continue;
                    own.Add(string.Create(CultureInfo.InvariantCulture, $"entry {e.TransactionId} {e.Key} {e.AccountId} {e.Kind} {e.Amount} {e.Completed} {e.Day}"));
                }
                return own;
            }));
        }
        lines.Sort(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var line in lines) sb.AppendLine(line);
        return sb.ToString();
    }
}
