using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>PIN tries on card F: 55, 55, then 75 and locked; a locked PIN answers 75 even when right; a right PIN before that resets.</summary>
public sealed class OnUsPinTriesTests
{
    [Fact]
    public async Task Three_wrong_PINs_in_a_row_answer_55_55_75_and_the_right_PIN_then_still_answers_75()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "1111")));
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "2222")));
        Assert.Equal("75", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "3333")));
        var locked = await f.SendAsync(f.Txn('F', TransactionKind.Purchase, 100));
        Assert.Equal("75", locked.ResponseCode);
        Assert.Empty(locked.Effects); // nothing changes while locked
        Assert.Equal("75", await f.CodeAsync(f.Txn('F', TransactionKind.BalanceInquiry, 0)));
        // Without a PIN the card is not asked for one (e-commerce): the lock is about the PIN only.
        Assert.Equal("00", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "")));
        Assert.Equal(100_000 - 100, await f.AvailableAsync('F'));
    }

    [Fact]
    public async Task A_right_PIN_before_the_third_wrong_one_resets_the_count()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "1111")));
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "1112")));
        var right = await f.SendAsync(f.Txn('F', TransactionKind.Purchase, 100));
        Assert.Equal("00", right.ResponseCode);
        Assert.Contains("p=2:0", Assert.Single(right.Effects).Detail, StringComparison.Ordinal);
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "1113")));
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "1114")));
        Assert.Equal("00", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100)));
    }

    [Fact]
    public async Task A_right_PIN_declined_for_funds_still_resets_the_count_by_a_journaled_event()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("55", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "0000")));
        var declined = await f.SendAsync(f.Txn('B', TransactionKind.Purchase, 5_000));
        Assert.Equal("51", declined.ResponseCode);
        var reset = Assert.Single(declined.Effects);
        Assert.Equal(LegKind.BalanceRelease, reset.Kind);
        Assert.Equal(0, reset.AmountMinor);
        Assert.Equal("p=1:0", reset.Detail);
        Assert.Equal("55", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "0000")));
        Assert.Equal("55", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "0000")));
        Assert.Equal("75", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "0000")));
    }

    [Fact]
    public async Task Wrong_PINs_are_journaled_so_a_rebuild_keeps_the_lock()
    {
        await using var f = await OnUsFixture.CreateAsync();
        for (int i = 0; i < 3; i++) await f.SendAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "0000"));
        Assert.Equal(3, f.Journal.Count);
        Assert.All(f.Journal, e => Assert.Equal(LegKind.BalanceRelease, e.Kind));
        await using var rebuilt = f.NewAuthorizer();
        long sequence = 0;
        foreach (var e in f.Journal) rebuilt.Apply(new JournalRecord(new Switch.Journal.Events.EventId(1, ++sequence), e));
        var txn = f.Txn('F', TransactionKind.Purchase, 100);
        var decision = await rebuilt.AuthorizeAsync(f.Request(txn), TestTimeout.Token);
        Assert.Equal("75", decision.ResponseCode);
    }

    [Fact]
    public async Task The_tries_are_per_card_and_an_operator_reset_of_the_account_clears_them()
    {
        await using var f = await OnUsFixture.CreateAsync();
        for (int i = 0; i < 3; i++) await f.SendAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "0000"));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100)));
        f.Authorizer.Apply(new JournalRecord(new Switch.Journal.Events.EventId(1, 99), new JournalEvent { Kind = LegKind.StateReset, TransactionId = "reset-1", AccountId = "DEMO-ACC-F" }));
        Assert.Equal("00", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100)));
    }
}
