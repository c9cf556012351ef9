using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests.AgainstSwitch;

/// <summary>
/// Each misbehaviour of the issuer simulator against a real `switch run` (issue 18, "Tests"): the remote demo card from
/// TERM0001 through the issuer-sim connector (timeout <see cref="SimSwitch.IssuerTimeoutMs"/>), the simulator's
/// behaviour switched between cases by a rule that matches one amount only, once.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class IssuerBehaviourTests(SimSwitch sw) : IClassFixture<SimSwitch>
{
    private static readonly TimeSpan ReversalWait = TimeSpan.FromSeconds(30);

    private static CardProfile Remote => CardProfile.Demo('R');

    /// <summary>The next request of exactly this amount gets the misbehaviour (once); everything else is answered normally.</summary>
    private Task MisbehaveOnceAsync(string action, long amountMinor, int? delayMs = null) =>
        sw.Issuer.UseRulesAsync(new IssuerRules { Misbehaviours = [new MisbehaviourRule { Action = action, AmountMinor = amountMinor, DelayMs = delayMs, Next = 1 }] }, CancellationToken.None);

    private async Task<PosExchange> PurchaseAsync(long amountMinor)
    {
        await using var pos = await sw.TerminalAsync();
        var x = await pos.SendAsync(new PosTransaction { Card = Remote, AmountMinor = amountMinor }, CancellationToken.None);
        Assert.True(x.Answered, $"no answer from the switch: {x.Error}");
        return x;
    }

    /// <summary>The issuer leg of the request (the one 0200 of that amount the issuer received).</summary>
    private IssuerLogEntry Leg(long amountMinor) => Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == amountMinor);

    /// <summary>Waits for the 0420/0421 whose DE 90 is the leg's original data.</summary>
    private async Task<IssuerLogEntry> ReversalOfAsync(IssuerLogEntry leg, PosExchange terminal)
    {
        string de90 = SimSwitch.LegOriginalData(leg, terminal.Request.GetString(7)!);
        var found = await sw.Issuer.Log.WaitForAsync(e => e.Mti is "0420" or "0421" && e.OriginalData == de90, 1, ReversalWait, CancellationToken.None);
        return found[0];
    }

    /// <summary>After a misbehaviour the link still works: a normal purchase is approved by the issuer.</summary>
    private async Task AssertStillServesAsync(long amountMinor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        PosExchange x;
        // The connector may still be reconnecting and signing on (disconnect): until then the route's failover (stand-in) answers.
        do
        {
            x = await PurchaseAsync(amountMinor);
            if (x.ResponseCode == "00" && sw.Issuer.Log.OfMti("0200").Any(e => e.AmountMinor == amountMinor && e.Answer == "00")) return;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"the switch did not get back to the issuer: last answer {x.ResponseCode}");
    }

    [Fact]
    public async Task A_delay_under_the_timeout_is_approved()
    {
        await MisbehaveOnceAsync("delay", 1_101, delayMs: SimSwitch.IssuerTimeoutMs / 4);
        var x = await PurchaseAsync(1_101);
        Assert.Equal("00", x.ResponseCode);
        Assert.True(x.AnswerMacValid);
        Assert.Equal("delay", Leg(1_101).Behaviour);
        Assert.True(x.ElapsedMs >= SimSwitch.IssuerTimeoutMs / 4 - 20, $"answered in {x.ElapsedMs} ms, before the issuer's delay");
    }

    [Fact]
    public async Task A_delay_over_the_timeout_is_91_and_the_leg_is_reversed()
    {
        await MisbehaveOnceAsync("delay", 1_102, delayMs: SimSwitch.IssuerTimeoutMs * 3);
        var x = await PurchaseAsync(1_102);
        Assert.Equal("91", x.ResponseCode);
        Assert.False(x.Answer!.Has(38));
        var reversal = await ReversalOfAsync(Leg(1_102), x);
        Assert.Equal("00", reversal.Answer);
    }

    [Fact]
    public async Task A_drop_is_91_and_the_reversal_reaches_the_issuer_later()
    {
        await MisbehaveOnceAsync("drop", 1_103);
        var x = await PurchaseAsync(1_103);
        Assert.Equal("91", x.ResponseCode);
        var leg = Leg(1_103);
        Assert.Equal(("drop", (string?)null), (leg.Behaviour, leg.Answer));
        var reversal = await ReversalOfAsync(leg, x);
        Assert.True(reversal.ReceivedAt > leg.ReceivedAt);
        Assert.Equal(1_103, reversal.AmountMinor);
        Assert.Equal("998877", reversal.AcquirerId);
    }

    [Fact]
    public async Task A_disconnect_is_91_then_the_connector_reconnects_and_signs_on()
    {
        long signOnsBefore = SignOns();
        await MisbehaveOnceAsync("disconnect", 1_104);
        var x = await PurchaseAsync(1_104);
        Assert.Equal("91", x.ResponseCode);
        Assert.Equal("disconnect", Leg(1_104).Behaviour);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (SignOns() == signOnsBefore && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(SignOns() > signOnsBefore, "the connector did not sign on again after the issuer closed the connection");
        await AssertStillServesAsync(1_204);
    }

    private long SignOns() => sw.Issuer.Log.OfMti("0800").Count(e => e.MaskedJson.Contains("\"70\":\"001\"", StringComparison.Ordinal));

    [Fact]
    public async Task A_malformed_reply_is_91_and_the_switch_stays_up()
    {
        await MisbehaveOnceAsync("malformed", 1_105);
        var x = await PurchaseAsync(1_105);
        // Garbage matches no request (the connector cannot read DE 11/41 in it): the leg times out, so 91 and a reversal.
        Assert.Equal("91", x.ResponseCode);
        Assert.Equal("malformed", Leg(1_105).Behaviour);
        await ReversalOfAsync(Leg(1_105), x);
        await AssertStillServesAsync(1_205);
    }

    [Fact]
    public async Task A_reply_whose_bitmap_claims_absent_fields_is_91_and_the_switch_stays_up()
    {
        await MisbehaveOnceAsync("bad-bitmap", 1_107);
        var x = await PurchaseAsync(1_107);
        // The connector cannot decode it, so cannot match it: the leg times out like a dropped one.
        Assert.Equal("91", x.ResponseCode);
        Assert.Equal("bad-bitmap", Leg(1_107).Behaviour);
        await ReversalOfAsync(Leg(1_107), x);
        await AssertStillServesAsync(1_207);
    }

    [Fact]
    public async Task A_late_approval_is_never_forwarded_and_the_reversal_still_goes_out()
    {
        await MisbehaveOnceAsync("late", 1_106, delayMs: SimSwitch.IssuerTimeoutMs * 2);
        // A raw connection, so that anything the switch sends after its 91 is seen (PosTerminal skips answers it did not ask for).
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = sw.TerminalPort });
        var request = await pos.BuildAsync(new PosTransaction { Card = Remote, AmountMinor = 1_106 }, CancellationToken.None);
        var format = SimWire.Framing("binary2", "none", pos.Spec);
        await using var raw = await FramedStream.ConnectAsync("127.0.0.1", sw.TerminalPort, format, 5_000, CancellationToken.None);
        await raw.WriteMessageAsync(ReadOnlyMemory<byte>.Empty, pos.Spec.Encode(request), CancellationToken.None);
        using (var answerWait = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            var answer = pos.Spec.Decode((await raw.ReadMessageAsync(null, answerWait.Token))!);
            Assert.Equal(("0210", "91", request.GetString(11)), (answer.Mti, answer.GetString(39), answer.GetString(11)));
        }
        var leg = Leg(1_106);
        var reversal = await ReversalOfAsync(leg, new PosExchange("purchase", request, [], null, null, null, 0, null));
        Assert.Equal(("late", "00"), (leg.Behaviour, leg.Answer));
        Assert.True(reversal.ReceivedAt > leg.ReceivedAt);
        // Past the moment the issuer sent its late 00 (its delay after the leg arrived), nothing more arrives for the terminal.
        var lateSent = leg.ReceivedAt + TimeSpan.FromMilliseconds(SimSwitch.IssuerTimeoutMs * 2 + 500);
        if (lateSent > DateTimeOffset.UtcNow) await Task.Delay(lateSent - DateTimeOffset.UtcNow);
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => raw.ReadMessageAsync(null, quiet.Token));
        Assert.DoesNotContain(DemoDataSet.All.RemoteCard.Pan, sw.Output, StringComparison.Ordinal);
    }
}
