using Switch.Core.MasterData;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Pipeline;

/// <summary>One append per transaction (request in, effects, response out) awaited before the answer; a refused append answers 96 and aborts.</summary>
public sealed class JournalingTests
{
    [Fact]
    public async Task An_approval_is_journaled_in_one_append_with_the_decision_effects_and_protected_PAN()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002", stan: "400001", amountMinor: 4200).Set(32, "12345");
        await h.SendAsync(PipelineHarness.Wire(request));
        var events = Assert.Single(h.Journal.Appends);
        Assert.Equal([LegKind.RequestIn, LegKind.BalanceDebit, LegKind.ResponseOut], events.Select(e => e.Kind));
        var pan = DemoDataSet.Card('A').Pan;
        var requestIn = events[0];
        var responseOut = events[2];
        Assert.Equal("0200", requestIn.Mti);
        Assert.Equal("0210", responseOut.Mti);
        Assert.Equal(("476173******0011", 4200L, (ushort)840), (requestIn.PanMasked, requestIn.AmountMinor, requestIn.CurrencyNumeric));
        Assert.Equal(h.Pan.Hash(pan), requestIn.PanHash.ToArray());
        Span<char> clear = stackalloc char[19];
        int n = h.Pan.Decrypt(requestIn.PanEncrypted.Span, clear);
        Assert.True(clear[..n].SequenceEqual(pan), "the encrypted PAN does not decrypt to the card's PAN");
        Assert.Equal(("400001", "000000000001", "TERM0002", "MERCHANT0000001", "12345"), (responseOut.Stan, responseOut.Rrn, responseOut.TerminalId, responseOut.MerchantId, responseOut.AcquirerId));
        Assert.Equal(("demo-on-us", "on-us", "00", "A00001"), (responseOut.Route, responseOut.Destination, responseOut.ResponseCode, responseOut.ApprovalCode));
        Assert.All(events.Where(e => e.Kind != LegKind.BalanceDebit), e => Assert.Equal(requestIn.TransactionId, e.TransactionId));
        Assert.Single(h.OnUs.Commits);
        foreach (var e in events) Assert.DoesNotContain(pan, e.Detail + e.PanMasked, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_append_answers_96_without_approval_and_aborts_the_decision()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.Journal.Refuse = true;
        h.OnUs.Decide = _ => ScriptedOnUs.Approve(de54: "0002840C000000100000");
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A')));
        Assert.Equal("96", answer.GetString(39));
        Assert.False(answer.Has(38));
        Assert.False(answer.Has(54));
        Assert.True(PipelineHarness.MacIsValid(answer), "the 96 answer to a MAC terminal is signed too");
        Assert.Single(h.OnUs.Aborts);
        Assert.Empty(h.OnUs.Commits);
    }

    [Fact]
    public async Task A_declined_malformed_request_is_journaled_with_what_could_be_read()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', terminal: "TERM0002", stan: "400002");
        request.Remove(49);
        await h.SendAsync(PipelineHarness.Wire(request));
        var events = Assert.Single(h.Journal.Appends);
        Assert.Equal([LegKind.RequestIn, LegKind.ResponseOut], events.Select(e => e.Kind));
        Assert.Equal(("30", "400002", "TERM0002", "476173******0011"), (events[1].ResponseCode, events[1].Stan, events[1].TerminalId, events[1].PanMasked));
    }

    [Fact]
    public async Task The_response_out_event_keeps_DE7_and_DE54_for_the_duplicate_rebuild()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Decide = _ => ScriptedOnUs.Approve(de54: "0002840C000000100000");
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        var responseOut = h.Journal.Events.Single(e => e.Kind == LegKind.ResponseOut);
        Assert.Equal("de7=1204210000;de54=0002840C000000100000", responseOut.Detail);
    }

    [Fact]
    public async Task A_DE54_of_several_amounts_is_journaled_with_its_digit_runs_cut_and_read_back_whole()
    {
        await using var h = await PipelineHarness.CreateAsync();
        const string de54 = "0002840C0000001000000001840C000000250000";
        h.OnUs.Decide = _ => ScriptedOnUs.Approve(de54: de54);
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        var responseOut = h.Journal.Events.Single(e => e.Kind == LegKind.ResponseOut);
        // The real codec refuses 13 digits in a row in a Detail; this one encodes, and reads back to the same DE54.
        var decoded = Switch.Journal.Codec.JournalEventCodec.Decode(Switch.Journal.Codec.JournalEventCodec.Encode(new Switch.Journal.Events.EventId(7, 1), responseOut));
        Assert.True(Switch.Core.Pipeline.ResponseDetail.TryParse(decoded.Event.Detail, out string? de7, out string? back));
        Assert.Equal(("1204210000", de54), (de7, back));
    }
}
