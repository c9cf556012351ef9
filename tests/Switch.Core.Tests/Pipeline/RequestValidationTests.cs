using Switch.Core.MasterData;
using Switch.Core.Transactions;

namespace Switch.Core.Tests.Pipeline;

/// <summary>The parse participant: the canonical transaction, and the format answers 30, 12, 13, 14 and the unknown terminal's 58.</summary>
public sealed class RequestValidationTests
{
    [Fact]
    public async Task A_valid_purchase_reaches_the_on_us_authorizer_as_a_canonical_transaction()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002", amountMinor: 2500);
        var answer = await h.SendAsync(PipelineHarness.Wire(request));
        Assert.Equal("0210", answer.Mti);
        Assert.Equal("00", answer.GetString(39));
        var call = Assert.Single(h.OnUs.Calls);
        CardTransaction txn = call.Transaction;
        Assert.Equal(TransactionKind.Purchase, txn.Kind);
        Assert.Equal(2500, txn.AmountMinor);
        Assert.Equal(840, txn.CurrencyNumeric);
        Assert.Equal("3012", txn.Expiry);
        Assert.Equal(DemoDataSet.Card('A').Track2, txn.Track2);
        Assert.Equal(8, txn.PinBlock.Length);
        Assert.Equal("TERM0002", txn.TerminalId);
        Assert.Equal("MERCHANT0000001", txn.MerchantId);
        Assert.StartsWith("7-", txn.TransactionId, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(h.Pan.Hash(DemoDataSet.Card('A').Pan)), call.PanHashHex);
        Assert.Equal("TERM0002", call.Terminal.TerminalId);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(41)]
    [InlineData(49)]
    [InlineData(4)]
    public async Task A_request_missing_a_required_field_is_answered_30_as_MTI_plus_10(int field)
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002");
        request.Remove(field);
        if (field == 2) request.Remove(35);
        var answer = await h.SendAsync(PipelineHarness.Wire(request));
        Assert.Equal("0210", answer.Mti);
        Assert.Equal("30", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_reversal_without_original_data_is_a_format_error()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: "0400", terminal: "TERM0002")));
        Assert.Equal(("0410", "30"), (answer.Mti, answer.GetString(39)));
    }

    [Theory]
    [InlineData("0200", "400000")]
    [InlineData("0200", "200000")]
    [InlineData("0100", "400000")]
    [InlineData("0400", "310000")]
    public async Task An_unsupported_processing_code_is_answered_12(string mti, string processingCode)
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', mti: mti, processingCode: processingCode, terminal: "TERM0002");
        if (mti == "0400") request.Set(90, new OriginalData("0200", "000001", "1204210000", "0", "0").Format());
        var answer = await h.SendAsync(PipelineHarness.Wire(request));
        Assert.Equal("12", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task An_MTI_the_switch_does_not_serve_is_answered_12()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: "0600", terminal: "TERM0002")));
        Assert.Equal(("0610", "12"), (answer.Mti, answer.GetString(39)));
    }

    [Theory]
    [InlineData("0200", "000000")]
    [InlineData("0200", "010000")]
    [InlineData("0100", "000000")]
    public async Task Amount_zero_on_a_purchase_withdrawal_or_pre_authorization_is_answered_13(string mti, string processingCode)
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: mti, processingCode: processingCode, amountMinor: 0, terminal: "TERM0002")));
        Assert.Equal("13", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_balance_inquiry_with_amount_zero_is_authorized()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Decide = _ => ScriptedOnUs.Approve(de54: "0002840C000000100000");
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', processingCode: "310000", amountMinor: 0, terminal: "TERM0002")));
        Assert.Equal("00", answer.GetString(39));
        Assert.Equal("0002840C000000100000", answer.GetString(54));
        Assert.Equal(TransactionKind.BalanceInquiry, Assert.Single(h.OnUs.Calls).Transaction.Kind);
    }

    [Fact]
    public async Task A_PAN_failing_the_Luhn_check_is_answered_14()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request(pan: "4761730000000012", terminal: "TERM0002")));
        Assert.Equal("14", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task Track_2_of_another_card_is_a_format_error()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002").Set(35, DemoDataSet.Card('B').Track2);
        var answer = await h.SendAsync(PipelineHarness.Wire(request));
        Assert.Equal("30", answer.GetString(39));
    }

    [Fact]
    public async Task An_unknown_terminal_is_answered_58_and_never_authorized()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM9999")));
        Assert.Equal("58", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
        Assert.Contains("TERM9999", h.LogSink.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_answer_echoes_the_fields_the_MTI_requires_as_sent()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002").Set(32, "12345");
        var answer = await h.SendAsync(PipelineHarness.Wire(request));
        foreach (int field in new[] { 2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49 })
            Assert.Equal(request.GetString(field), answer.GetString(field));
        Assert.False(answer.Has(35));
        Assert.False(answer.Has(52));
        Assert.False(answer.Has(22));
        Assert.Equal("A00001", answer.GetString(38));
    }

    [Fact]
    public async Task A_decline_carries_no_approval_code()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Decide = _ => new Switch.Core.Authorization.OnUsDecision { ResponseCode = "51", ApprovalCode = "X00001" };
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('B', terminal: "TERM0002")));
        Assert.Equal("51", answer.GetString(39));
        Assert.False(answer.Has(38));
    }
}
