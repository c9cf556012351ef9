using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>Completions of holds (0220 with DE90) and reversals (0400/0420, full and partial with DE95) matched by DE90 and terminal.</summary>
public sealed class OnUsReversalTests
{
    [Fact]
    public async Task A_0220_with_DE90_completes_a_hold_releasing_it_and_debiting_the_completed_amount_once()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var auth = f.Txn('A', TransactionKind.Authorization, 30_000);
        Assert.Equal("00", await f.CodeAsync(auth));
        var completion = await f.SendAsync(f.Txn('A', TransactionKind.Advice, 25_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(auth)));
        Assert.Equal("00", completion.ResponseCode);
        Assert.Equal([LegKind.BalanceRelease, LegKind.BalanceDebit], completion.Effects.Select(e => e.Kind));
        Assert.Equal([30_000L, 25_000L], completion.Effects.Select(e => e.AmountMinor));
        var balance = await f.BalanceAsync('A');
        Assert.Equal((75_000L, 0L, 75_000L, 25_000L), (balance.LedgerMinor, balance.HeldMinor, balance.AvailableMinor, balance.DailyTotalMinor));
        // The repeat (0221) debits nothing more.
        var repeat = await f.SendAsync(f.Txn('A', TransactionKind.Advice, 25_000, mti: "0221", pin: "", track2: false, original: OnUsFixture.OriginalOf(auth)));
        Assert.Equal("00", repeat.ResponseCode);
        Assert.Empty(repeat.Effects);
        Assert.Equal(75_000, await f.AvailableAsync('A'));
        // A reversal of the completed authorization gives back the completed debit.
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 30_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(auth))));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_completion_of_an_unknown_hold_answers_25()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var never = f.Txn('A', TransactionKind.Authorization, 100);
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Advice, 100, pin: "", original: OnUsFixture.OriginalOf(never))));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task An_advice_without_DE90_records_the_offline_debit_once()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var advice = f.Txn('B', TransactionKind.Advice, 2_000, pin: "");
        Assert.Equal("00", await f.CodeAsync(advice));
        Assert.Equal(-1_000, await f.AvailableAsync('B')); // an advice tells what was done: it is not declined
        Assert.Equal("0002840D000000001000", (await f.SendAsync(f.Txn('B', TransactionKind.BalanceInquiry, 0))).AdditionalAmounts);
    }

    [Fact]
    public async Task A_full_reversal_credits_back_a_purchase_and_a_repeated_reversal_answers_00_and_credits_once()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var purchase = f.Txn('A', TransactionKind.Purchase, 20_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        var reversal = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 20_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase)));
        Assert.Equal("00", reversal.ResponseCode);
        var credit = Assert.Single(reversal.Effects);
        Assert.Equal((LegKind.BalanceCredit, 20_000L), (credit.Kind, credit.AmountMinor));
        var balance = await f.BalanceAsync('A');
        Assert.Equal((100_000L, 0L), (balance.AvailableMinor, balance.DailyTotalMinor));
        var repeat = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 20_000, mti: "0421", pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase)));
        Assert.Equal("00", repeat.ResponseCode);
        Assert.Empty(repeat.Effects);
        var again = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 20_000, mti: "0400", pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase)));
        Assert.Equal(("00", 0), (again.ResponseCode, again.Effects.Count));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_reversal_of_an_authorization_releases_its_hold()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var auth = f.Txn('B', TransactionKind.Authorization, 900);
        Assert.Equal("00", await f.CodeAsync(auth));
        Assert.Equal(100, await f.AvailableAsync('B'));
        var reversal = await f.SendAsync(f.Txn('B', TransactionKind.Reversal, 900, pin: "", track2: false, original: OnUsFixture.OriginalOf(auth)));
        Assert.Equal(LegKind.BalanceRelease, Assert.Single(reversal.Effects).Kind);
        var balance = await f.BalanceAsync('B');
        Assert.Equal((1_000L, 0L, 0), (balance.AvailableMinor, balance.HeldMinor, balance.HoldCount));
    }

    [Fact]
    public async Task A_partial_reversal_credits_the_difference_to_the_actual_amount_in_DE95_and_a_later_full_one_the_rest()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var purchase = f.Txn('A', TransactionKind.Purchase, 30_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        var partial = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 30_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase), replacement: 12_000));
        Assert.Equal(18_000, Assert.Single(partial.Effects).AmountMinor);
        Assert.Equal(88_000, await f.AvailableAsync('A'));
        Assert.Equal(12_000, (await f.BalanceAsync('A')).DailyTotalMinor);
        var samePartial = await f.SendAsync(f.Txn('A', TransactionKind.Reversal, 30_000, mti: "0421", pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase), replacement: 12_000));
        Assert.Empty(samePartial.Effects);
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 30_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase))));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_reversal_of_an_unknown_original_answers_25_and_so_does_one_naming_another_terminal_or_card()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var purchase = f.Txn('A', TransactionKind.Purchase, 1_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        var unknown = f.Txn('A', TransactionKind.Purchase, 1_000); // never sent
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(unknown))));
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: null)));
        Assert.Equal("25", await f.CodeAsync(f.Txn('F', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(purchase))));
        var otherTerminal = f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(purchase));
        var moved = new CardTransaction
        {
            TransactionId = otherTerminal.TransactionId, Mti = otherTerminal.Mti, Kind = otherTerminal.Kind, Pan = otherTerminal.Pan,
            AmountMinor = 1_000, TerminalId = "TERM0001", Original = otherTerminal.Original, Stan = otherTerminal.Stan,
        };
        Assert.Equal("25", (await f.Authorizer.AuthorizeAsync(f.Request(moved), TestTimeout.Token)).ResponseCode);
        Assert.Equal(99_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task DE90_matches_a_repeated_original_and_DE32_with_or_without_its_zero_fill()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var repeat = f.Txn('A', TransactionKind.Purchase, 2_000, mti: "0201");
        Assert.Equal("00", await f.CodeAsync(repeat));
        var asSent = new OriginalData("0200", repeat.Stan, repeat.TransmissionDateTime, repeat.AcquirerId, "0");
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 2_000, pin: "", original: asSent)));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
        var otherStan = OnUsFixture.OriginalOf(repeat) with { Stan = "999999" };
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 2_000, pin: "", original: otherStan)));
    }

    [Fact]
    public async Task A_reversal_finds_its_original_after_a_rebuild_from_the_journal()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var purchase = f.Txn('A', TransactionKind.Purchase, 5_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        await using var rebuilt = f.NewAuthorizer(OnUsFixture.Options(partitions: 3));
        long sequence = 0;
        foreach (var e in f.Journal) rebuilt.Apply(new JournalRecord(new Switch.Journal.Events.EventId(1, ++sequence), e));
        var reversal = await rebuilt.AuthorizeAsync(f.Request(f.Txn('A', TransactionKind.Reversal, 5_000, pin: "", original: OnUsFixture.OriginalOf(purchase))), TestTimeout.Token);
        Assert.Equal("00", reversal.ResponseCode);
        Assert.Equal(100_000, (await rebuilt.BalanceAsync(OnUsFixture.Account('A'), TestTimeout.Token)).AvailableMinor);
    }

    [Fact]
    public async Task The_reversal_index_forgets_approvals_past_its_window()
    {
        await using var f = await OnUsFixture.CreateAsync(new CoreOptions { Partitions = 1, ReversalWindowMs = 60_000 });
        var old = f.Txn('A', TransactionKind.Purchase, 1_000);
        Assert.Equal("00", await f.CodeAsync(old));
        f.Clock.UtcNow = f.Clock.UtcNow.AddMinutes(2);
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 1_000))); // trims the index at this approval
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(old))));
        Assert.Equal(1, await f.Authorizer.InspectAsync(0, s => s.ReversalEntries.Count()));
    }

    [Fact]
    public async Task The_reversal_index_keeps_at_most_its_bound_of_entries()
    {
        await using var f = await OnUsFixture.CreateAsync(new CoreOptions { Partitions = 1, ReversalEntriesMax = 1_000 });
        CardTransaction? first = null;
        for (int i = 0; i < 1_005; i++)
        {
            var txn = f.Txn('A', TransactionKind.Purchase, 1, pin: "", track2: false);
            first ??= txn;
            f.Clock.UtcNow = f.Clock.UtcNow.AddSeconds(i % 2); // many days' limits are not the point: keep within the day
            Assert.Equal("00", await f.CodeAsync(txn));
        }
        Assert.Equal(1_000, await f.Authorizer.InspectAsync(0, s => s.ReversalEntries.Count()));
        Assert.Equal("25", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 1, pin: "", original: OnUsFixture.OriginalOf(first!))));
    }
}
