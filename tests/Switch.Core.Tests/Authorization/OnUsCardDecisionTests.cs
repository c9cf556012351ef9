using Switch.Core.Authorization;
using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Journal.Events;
using Switch.Security.Keys;

namespace Switch.Core.Tests.Authorization;

/// <summary>The card checks of the on-us authorizer on the demo cards A–F (issue 17's table), in issue 17's order.</summary>
public sealed class OnUsCardDecisionTests
{
    [Fact]
    public async Task The_demo_PVVs_and_CVVs_verify_under_the_demo_keys_and_a_wrong_one_does_not()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var pvk = await f.Keys.GetAsync("demo-pvk", TestTimeout.Token);
        var cvk = await f.Keys.GetAsync("demo-cvk", TestTimeout.Token);
        var tpk = await f.Keys.GetAsync("demo-tpk", TestTimeout.Token);
        Assert.Equal("34F61C", await f.Module.KeyCheckValueAsync(pvk, TestTimeout.Token));
        Assert.Equal("ECABFA", await f.Module.KeyCheckValueAsync(cvk, TestTimeout.Token));
        Assert.Equal("08D7B4", await f.Module.KeyCheckValueAsync(tpk, TestTimeout.Token));
        foreach (var card in DemoDataSet.Cards)
        {
            Assert.Equal(card.Pvv, await f.Module.GeneratePvvAsync(pvk, card.Pan, card.Pin, DemoDataSet.All.Pvki, TestTimeout.Token));
            Assert.Equal(card.Cvv, await f.Module.GenerateCvvAsync(cvk, card.Pan, card.Expiry, DemoDataSet.All.ServiceCode, TestTimeout.Token));
            var block = new Switch.Security.EncryptedPinBlock(tpk, Switch.Security.Pin.PinBlockFormat.Iso0, OnUsFixture.PinBlock(card.Pan, card.Pin));
            Assert.True(await f.Module.VerifyPinPvvAsync(block, card.Pan, pvk, DemoDataSet.All.Pvki, card.Pvv, TestTimeout.Token), card.ToString());
            Assert.True(await f.Module.VerifyCvvAsync(cvk, card.Pan, card.Expiry, DemoDataSet.All.ServiceCode, card.Cvv, TestTimeout.Token), card.ToString());
            string otherCvv = ((int.Parse(card.Cvv) + 1) % 1000).ToString("D3");
            Assert.False(await f.Module.VerifyCvvAsync(cvk, card.Pan, card.Expiry, DemoDataSet.All.ServiceCode, otherCvv, TestTimeout.Token));
        }
        Assert.Equal(KeyType.Pvk, pvk.Type);
    }

    [Fact]
    public async Task Card_A_purchase_with_the_right_PIN_and_CVV_is_approved_with_a_six_digit_code_a_debit_and_the_balance()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('A', TransactionKind.Purchase, 12_345);
        var decision = await f.SendAsync(txn);
        Assert.Equal("00", decision.ResponseCode);
        Assert.Matches("^[0-9]{6}$", decision.ApprovalCode);
        Assert.Equal("0002840C000000087655", decision.AdditionalAmounts);
        var debit = Assert.Single(decision.Effects);
        Assert.Equal(LegKind.BalanceDebit, debit.Kind);
        Assert.Equal("DEMO-ACC-A", debit.AccountId);
        Assert.Equal(12_345, debit.AmountMinor);
        Assert.Equal((ushort)840, debit.CurrencyNumeric);
        Assert.Equal(txn.TransactionId, debit.TransactionId);
        Assert.Equal("476173******0011", debit.PanMasked);
        // No card data in what is journaled: not the PAN, not the track, not the CVV.
        Assert.DoesNotContain(txn.Pan!, debit.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("718", debit.Detail, StringComparison.Ordinal);
        Assert.Equal(87_655, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_card_the_master_data_does_not_hold_on_an_on_us_BIN_answers_14()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('A', TransactionKind.Purchase, 100);
        var request = f.Request(txn);
        var unknown = new OnUsRequest { Transaction = txn, Terminal = request.Terminal, MasterData = request.MasterData, PanHashHex = OnUsFixture.Hash("4761739999999999") };
        var decision = await f.Authorizer.AuthorizeAsync(unknown, TestTimeout.Token);
        Assert.Equal("14", decision.ResponseCode);
        Assert.Empty(decision.Effects);
    }

    [Theory]
    [InlineData('C', "41")]
    [InlineData('D', "43")]
    [InlineData('E', "54")]
    public async Task Lost_stolen_and_expired_demo_cards_are_declined_with_their_code_and_no_effect(char letter, string code)
    {
        await using var f = await OnUsFixture.CreateAsync();
        var decision = await f.SendAsync(f.Txn(letter, TransactionKind.Purchase, 100));
        Assert.Equal(code, decision.ResponseCode);
        Assert.Null(decision.ApprovalCode);
        Assert.Empty(decision.Effects);
        Assert.Equal(100_000, await f.AvailableAsync(letter));
    }

    [Fact]
    public async Task Expiry_is_compared_with_the_current_UTC_month_of_the_clock()
    {
        await using var f = await OnUsFixture.CreateAsync();
        f.Clock.UtcNow = new DateTime(2030, 12, 31, 23, 59, 59, DateTimeKind.Utc);
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100))); // expires 3012: good through December 2030
        f.Clock.UtcNow = new DateTime(2031, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("54", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100)));
        f.Clock.UtcNow = new DateTime(2019, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("00", await f.CodeAsync(f.Txn('E', TransactionKind.Purchase, 100, expiry: "2001"))); // card E before it expired
        Assert.Equal("54", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, expiry: "3013"))); // no such month
    }

    [Fact]
    public async Task Restricted_and_not_permitted_cards_answer_62_and_57()
    {
        var card = DemoDataSet.Card('A');
        var record = OnUsFixture.Snapshot.Card(OnUsFixture.Hash(card.Pan))!;
        foreach (var (status, code) in new[] { (CardStatus.Restricted, "62"), (CardStatus.NotPermitted, "57") })
        {
            var snapshot = new MasterDataSnapshot(DemoDataSet.Terminals, [record with { Status = status }], OnUsFixture.Snapshot.Accounts, [DemoDataSet.OnUsProfile], []);
            await using var f = await OnUsFixture.CreateAsync();
            var request = f.Request(f.Txn('A', TransactionKind.Purchase, 100));
            var decision = await f.Authorizer.AuthorizeAsync(new OnUsRequest { Transaction = request.Transaction, Terminal = request.Terminal, MasterData = snapshot, PanHashHex = request.PanHashHex }, TestTimeout.Token);
            Assert.Equal(code, decision.ResponseCode);
        }
    }

    [Fact]
    public async Task A_wrong_CVV_in_track_2_answers_05_and_a_malformed_track_2_too()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var card = DemoDataSet.Card('A');
        string wrongCvv = card.Track2[..^8] + "719" + "00000";
        Assert.Equal("05", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, track2Text: wrongCvv)));
        Assert.Equal("05", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, track2Text: card.Pan + "=3012")));
        Assert.Equal("05", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, track2Text: DemoDataSet.Card('B').Track2))); // another card's track
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, track2Text: card.Track2.Replace('=', 'D'))));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, track2: false))); // no track (keyed): no CVV to check
        Assert.Equal(100_000 - 200, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_wrong_PIN_answers_55_and_a_request_without_PIN_skips_the_PIN_check()
    {
        await using var f = await OnUsFixture.CreateAsync();
        Assert.Equal("55", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "2469")));
        Assert.Equal("00", await f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 100, pin: "")));
    }

    [Fact]
    public async Task A_status_decline_comes_before_a_wrong_CVV_and_a_wrong_CVV_before_a_wrong_PIN()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var c = DemoDataSet.Card('C');
        Assert.Equal("41", await f.CodeAsync(f.Txn('C', TransactionKind.Purchase, 100, pin: "0000", track2Text: c.Track2[..^8] + "000" + "00000")));
        var a = DemoDataSet.Card('A');
        Assert.Equal("05", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, pin: "0000", track2Text: a.Track2[..^8] + "000" + "00000")));
        var balance = await f.BalanceAsync('A');
        Assert.Equal(100_000, balance.AvailableMinor); // and the wrong PIN was not counted
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100)));
    }

    [Fact]
    public async Task A_PIN_block_from_another_key_is_a_wrong_PIN_not_a_failure()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('F', TransactionKind.Purchase, 100);
        var garbage = new CardTransaction
        {
            TransactionId = txn.TransactionId, Mti = txn.Mti, Kind = txn.Kind, Pan = txn.Pan, ProcessingCode = txn.ProcessingCode,
            AmountMinor = txn.AmountMinor, CurrencyNumeric = txn.CurrencyNumeric, TransmissionDateTime = txn.TransmissionDateTime, Stan = txn.Stan,
            Expiry = txn.Expiry, AcquirerId = txn.AcquirerId, Track2 = txn.Track2, TerminalId = txn.TerminalId, PinBlock = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 },
        };
        var code = await f.CodeAsync(garbage);
        Assert.Equal("55", code);
    }

    [Fact]
    public async Task Balance_inquiry_answers_00_with_the_available_balance_in_DE54_and_moves_nothing()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var inquiry = await f.SendAsync(f.Txn('B', TransactionKind.BalanceInquiry, 0));
        Assert.Equal("00", inquiry.ResponseCode);
        Assert.Equal("0002840C000000001000", inquiry.AdditionalAmounts);
        Assert.Empty(inquiry.Effects);
        var viaAuthorization = await f.SendAsync(f.Txn('A', TransactionKind.BalanceInquiry, 0, mti: "0100"));
        Assert.Equal("0002840C000000100000", viaAuthorization.AdditionalAmounts);
        Assert.Equal("55", (await f.SendAsync(f.Txn('A', TransactionKind.BalanceInquiry, 0, pin: "9999"))).ResponseCode);
    }

    [Fact]
    public async Task A_transaction_in_another_currency_than_the_account_answers_57()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('A', TransactionKind.Purchase, 100);
        var euro = new CardTransaction
        {
            TransactionId = txn.TransactionId, Mti = txn.Mti, Kind = txn.Kind, Pan = txn.Pan, ProcessingCode = txn.ProcessingCode,
            AmountMinor = 100, CurrencyNumeric = 978, TransmissionDateTime = txn.TransmissionDateTime, Stan = txn.Stan,
            Expiry = txn.Expiry, AcquirerId = txn.AcquirerId, Track2 = txn.Track2, TerminalId = txn.TerminalId, PinBlock = txn.PinBlock,
        };
        Assert.Equal("57", await f.CodeAsync(euro));
    }
}
