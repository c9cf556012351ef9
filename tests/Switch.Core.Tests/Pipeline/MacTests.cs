using Switch.Core.Pipeline;
using Switch.Core.Transactions;

namespace Switch.Core.Tests.Pipeline;

/// <summary>Terminal MACs: ISO 9797-1 algorithm 3, padding 1, over MTI to the byte before the MAC; 63 for a missing or wrong one.</summary>
public sealed class MacTests
{
    [Fact]
    public async Task A_right_MAC_from_a_MAC_terminal_is_approved_and_the_answer_carries_a_valid_MAC()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A')));
        Assert.Equal("00", answer.GetString(39));
        Assert.True(answer.Has(64));
        Assert.True(PipelineHarness.MacIsValid(answer), "the answer's MAC is not the reference MAC of its bytes");
        Assert.Single(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_missing_MAC_on_a_MAC_required_terminal_is_answered_63_without_a_MAC()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A')));
        Assert.Equal("63", answer.GetString(39));
        Assert.False(answer.Has(64));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_wrong_MAC_is_answered_63_without_a_MAC()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A'), corrupt: true));
        Assert.Equal("63", answer.GetString(39));
        Assert.False(answer.Has(64));
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_request_changed_after_signing_fails_the_MAC()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var signed = PipelineHarness.Signed(PipelineHarness.Request('A', amountMinor: 1000));
        byte[] bytes = PipelineHarness.Spec.Encode(signed);
        var tampered = PipelineHarness.Spec.Decode(bytes.AsMemory()).Set(4, "000000009999");
        tampered = PipelineHarness.Spec.Decode(PipelineHarness.Spec.Encode(tampered).AsMemory());
        var answer = await h.SendAsync(tampered);
        Assert.Equal("63", answer.GetString(39));
    }

    [Fact]
    public async Task A_terminal_without_a_MAC_gets_an_answer_without_one()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("00", answer.GetString(39));
        Assert.False(answer.Has(64));
    }

    [Fact]
    public async Task A_MAC_from_a_terminal_with_no_TAK_is_a_security_violation()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("63", answer.GetString(39));
        Assert.False(answer.Has(64));
    }

    [Fact]
    public async Task A_declined_answer_to_a_MAC_terminal_is_signed_too()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Decide = _ => new Switch.Core.Authorization.OnUsDecision { ResponseCode = "55" };
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A')));
        Assert.Equal("55", answer.GetString(39));
        Assert.True(PipelineHarness.MacIsValid(answer));
    }

    [Fact]
    public async Task A_reversal_with_a_secondary_bitmap_carries_its_MAC_in_DE128()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', mti: "0420").Set(90, new OriginalData("0200", "000001", "1204210000", "0", "0").Format());
        Assert.Equal(128, MessageMac.FieldOf(request));
        var signed = PipelineHarness.Signed(request);
        Assert.True(signed.Has(128));
        Assert.False(signed.Has(64));
        var answer = await h.SendAsync(signed);
        Assert.Equal(("0430", "00"), (answer.Mti, answer.GetString(39)));
        // The answer has no field above 64: its MAC is in DE64.
        Assert.True(PipelineHarness.MacIsValid(answer));
        Assert.Equal(TransactionKind.Reversal, Assert.Single(h.OnUs.Calls).Transaction.Kind);
    }

    [Fact]
    public async Task The_MAC_covers_the_MTI_to_the_byte_before_the_MAC_value()
    {
        var signed = PipelineHarness.Signed(PipelineHarness.Request('A'));
        Assert.True(MessageMac.TryMacData(signed, 64, out var data, out int offset));
        Assert.Equal(signed.Source.Length - 8, offset);
        Assert.Equal(signed.Source[..offset].ToArray(), data.ToArray());
        Assert.Equal(0x02, data.Span[0]); // BCD MTI 0200 starts the data
    }
}
