using Switch.Core.Pipeline;
using Switch.Iso8583.Message;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Pipeline;

/// <summary>
/// Answers given outside the participants' normal run are journaled, and signed with the terminal's TAK exactly when
/// the request's MAC verified: the acceptor's 30, the 96 past core.inFlightMax, the 96 of a failing step.
/// </summary>
public sealed class AnswerPathsTests
{
    /// <summary>A signed request of MAC-requiring TERM0001 whose DE4 is not BCD (undecodable), with a right (or wrong) MAC over its bytes.</summary>
    private static byte[] UndecodableSigned(string stan, bool rightMac)
    {
        var request = PipelineHarness.Request('A', terminal: "TERM0001", stan: stan);
        request.SetBinary(64, new byte[8]);
        byte[] bytes = PipelineHarness.Spec.Encode(request);
        var view = PipelineHarness.Spec.Decode(bytes.AsMemory(), DecodeMode.Index);
        Assert.True(bytes.AsSpan().Overlaps(view.GetWire(4).Span, out int de4));
        bytes[de4] = 0xAA; // not BCD: the strict decode stops at DE4
        byte[] mac = ReferenceMac.Compute(PipelineHarness.Tak, bytes.AsSpan(0, bytes.Length - 8));
        if (!rightMac) mac[0] ^= 1;
        mac.CopyTo(bytes.AsSpan(bytes.Length - 8));
        return bytes;
    }

    [Fact]
    public async Task An_undecodable_request_whose_MAC_verifies_gets_a_signed_30_and_is_journaled_without_card_data()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        var answer = await terminal.ExchangeAsync2(UndecodableSigned("510001", rightMac: true));
        Assert.Equal(("0210", "30", "510001"), (answer.Mti, answer.GetString(39), answer.GetString(11)));
        Assert.True(PipelineHarness.MacIsValid(answer));
        Assert.Empty(s.Harness.OnUs.Calls);
        var legs = (await s.JournalRecordsAsync()).Where(r => r.Event.Stan == "510001").Select(r => r.Event).ToList();
        Assert.Equal([LegKind.RequestIn, LegKind.ResponseOut], legs.Select(e => e.Kind));
        var response = legs[1];
        Assert.Equal(("0210", "30", "TERM0001"), (response.Mti, response.ResponseCode, response.TerminalId));
        Assert.StartsWith("why=format;field=", response.Detail, StringComparison.Ordinal);
        Assert.EndsWith("signed=1", response.Detail, StringComparison.Ordinal);
        Assert.All(legs, e => Assert.Equal("", e.PanMasked));
    }

    [Fact]
    public async Task An_undecodable_request_with_a_wrong_MAC_or_no_readable_terminal_gets_an_unsigned_30_still_journaled()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        var wrong = await terminal.ExchangeAsync2(UndecodableSigned("510002", rightMac: false));
        Assert.Equal(("0210", "30"), (wrong.Mti, wrong.GetString(39)));
        Assert.False(wrong.Has(64));
        // Cut before DE41: the terminal cannot be identified, so nothing can sign.
        byte[] bytes = PipelineHarness.Spec.Encode(PipelineHarness.Request('A', terminal: "TERM0001", stan: "510003"));
        var cut = await terminal.ExchangeAsync2(bytes[..40]);
        Assert.Equal("30", cut.GetString(39));
        Assert.False(cut.Has(64));
        var records = await s.JournalRecordsAsync();
        var outs = records.Where(r => r.Event.Kind == LegKind.ResponseOut).Select(r => r.Event).ToList();
        Assert.Equal(2, outs.Count);
        Assert.All(outs, e => Assert.Equal("30", e.ResponseCode));
        Assert.All(outs, e => Assert.EndsWith("signed=0", e.Detail, StringComparison.Ordinal));
        Assert.Contains(outs, e => e.Stan == "510002" && e.TerminalId == "TERM0001");
    }

    [Fact]
    public async Task A_request_past_the_in_flight_limit_is_answered_96_signed_and_journaled_and_never_authorized()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { InFlightMax = 1 });
        h.OnUs.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        var refused = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', terminal: "TERM0001", stan: "520001")));
        Assert.Equal(("0210", "96"), (refused.Mti, refused.GetString(39)));
        Assert.True(PipelineHarness.MacIsValid(refused));
        var badMac = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', terminal: "TERM0001", stan: "520002"), corrupt: true));
        Assert.Equal("63", badMac.GetString(39));
        Assert.False(badMac.Has(64));
        Assert.Single(h.OnUs.Calls);
        var outs = h.Journal.Events.Where(e => e.Kind == LegKind.ResponseOut).ToList();
        Assert.Contains(outs, e => e.Stan == "520001" && e.ResponseCode == "96" && e.Detail == "why=in-flight");
        Assert.Contains(outs, e => e.Stan == "520002" && e.ResponseCode == "63");
        h.OnUs.Gate.SetResult();
        Assert.Equal("00", (await held).GetString(39));
    }

    [Fact]
    public async Task A_step_that_always_runs_failing_answers_a_signed_96_journaled_alone_and_the_decision_aborts()
    {
        await using var h = await PipelineHarness.CreateAsync();
        // 70 effects: the journal step refuses to build more than 64 events in one append (it throws).
        h.OnUs.Decide = _ => ScriptedOnUs.Approve() is var d ? new Switch.Core.Authorization.OnUsDecision
        {
            ResponseCode = "00", ApprovalCode = "A00001", Effects = [.. Enumerable.Repeat(d.Effects[0], 70)],
        } : null!;
        var answer = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', terminal: "TERM0001", stan: "530001")));
        Assert.Equal("96", answer.GetString(39));
        Assert.False(answer.Has(38));
        Assert.True(PipelineHarness.MacIsValid(answer));
        Assert.Single(h.OnUs.Aborts);
        var events = h.Journal.Events.Where(e => e.Stan == "530001").ToList();
        Assert.Equal([LegKind.RequestIn, LegKind.ResponseOut], events.Select(e => e.Kind));
        Assert.Equal(("96", "why=failed"), (events[1].ResponseCode, events[1].Detail));
    }
}
