using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>Per-transaction limit, daily limit over the UTC day, and available funds (card A: 1,000.00, 500.00 a transaction, 800.00 a day; card B: 10.00).</summary>
public sealed class OnUsLimitsTests
{
    [Fact]
    public async Task Over_the_per_transaction_limit_answers_61_and_at_the_limit_is_approved()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("61", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 50_001)));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 50_000)));
        Assert.Equal(50_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task The_daily_limit_counts_debits_and_holds_of_the_UTC_day_across_transactions_and_restarts_the_next_day()
    {
        await using var f = await OnUsFixture.CreateAsync();
        f.Clock.UtcNow = new DateTime(2026, 12, 4, 23, 0, 0, DateTimeKind.Utc);
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 40_000)));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Authorization, 30_000)));
        Assert.Equal("61", await f.CodeAsync(f.Txn('A', TransactionKind.CashWithdrawal, 10_001))); // 800.01 today
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.CashWithdrawal, 10_000))); // exactly 800.00
        Assert.Equal("61", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 1)));
        var balance = await f.BalanceAsync('A');
        Assert.Equal(80_000, balance.DailyTotalMinor);
        Assert.Equal(20261204, balance.DailyDay);
        f.Clock.UtcNow = new DateTime(2026, 12, 5, 0, 0, 1, DateTimeKind.Utc);
        // A new UTC day: the limit is fresh, but only 200.00 is left on the account.
        Assert.Equal("51", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 20_001)));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 20_000)));
        Assert.Equal(0, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task Insufficient_available_funds_answer_51_with_the_balance_and_holds_count_against_them()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var declined = await f.SendAsync(f.Txn('B', TransactionKind.Purchase, 1_001));
        Assert.Equal("51", declined.ResponseCode);
        Assert.Equal("0002840C000000001000", declined.AdditionalAmounts);
        Assert.Empty(declined.Effects);
        Assert.Equal("00", await f.CodeAsync(f.Txn('B', TransactionKind.Authorization, 600)));
        Assert.Equal("51", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 401)));
        Assert.Equal("00", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 400)));
        var balance = await f.BalanceAsync('B');
        Assert.Equal(600, balance.LedgerMinor);
        Assert.Equal(600, balance.HeldMinor);
        Assert.Equal(0, balance.AvailableMinor);
    }

    [Fact]
    public async Task A_zero_amount_purchase_answers_13_and_an_unknown_kind_12()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("13", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 0)));
        Assert.Equal("12", await f.CodeAsync(f.Txn('A', TransactionKind.Unknown, 100)));
    }

    [Fact]
    public async Task An_authorization_places_a_hold_and_a_purchase_a_debit()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var hold = await f.SendAsync(f.Txn('A', TransactionKind.Authorization, 700));
        Assert.Equal(LegKind.BalanceHold, Assert.Single(hold.Effects).Kind);
        var debit = await f.SendAsync(f.Txn('A', TransactionKind.CashWithdrawal, 300));
        Assert.Equal(LegKind.BalanceDebit, Assert.Single(debit.Effects).Kind);
        var balance = await f.BalanceAsync('A');
        Assert.Equal((100_000 - 300, 700L, 100_000 - 1_000L, 1), (balance.LedgerMinor, balance.HeldMinor, balance.AvailableMinor, balance.HoldCount));
        Assert.Equal("0002840C000000099000", debit.AdditionalAmounts);
    }
}
