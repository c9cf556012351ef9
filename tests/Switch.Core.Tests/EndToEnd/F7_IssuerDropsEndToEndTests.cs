using System.Diagnostics;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// FAULTS.md F7 through the acceptor of a real `switch run`: the issuer does not answer (drops the request, or closes
/// the connection after reading it); the terminal gets 91 at the connector's timeout, and the 0420 with the issuer
/// leg's original data is delivered once the issuer behaves, repeated as 0421 while unanswered. I1 (the 91 is no
/// approval, and the reversal is journaled once answered), I3 (the switch keeps running), I4 (no clear PAN printed).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class F7_IssuerDropsEndToEndTests(IssuerFaultSwitch sw) : IClassFixture<IssuerFaultSwitch>
{
    /// <summary>The 91 comes at the connector's timeout; this margin covers a loaded machine.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task F7_issuer_drops_the_request_then_91_at_the_timeout_and_the_0420_is_repeated_as_0421_until_answered_I1_I3_I4()
    {
        await using var pos = await sw.TerminalAsync("TERM0002");
        var started = Stopwatch.StartNew();
        var exchange = await pos.SendAsync(E2e.Remote(IssuerFaultSwitch.DropAmount), E2e.None);
        var elapsed = started.Elapsed;

        Assert.Equal("91", exchange.ResponseCode);
        Assert.False(exchange.Answer!.Has(38));
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(sw.IssuerTimeoutMs - 100), $"91 after {elapsed.TotalMilliseconds:0} ms, before the {sw.IssuerTimeoutMs} ms timeout");
        Assert.True(elapsed <= TimeSpan.FromMilliseconds(sw.IssuerTimeoutMs) + Margin, $"91 after {elapsed.TotalMilliseconds:0} ms");
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == IssuerFaultSwitch.DropAmount);
        Assert.Equal(("drop", "998877"), (leg.Behaviour, leg.AcquirerId));

        // DE90 = the issuer leg's data: its MTI, the switch's STAN, DE7, DE32 998877 and DE33 zero-filled.
        string de90 = "0200" + leg.Stan + exchange.Request.GetString(7) + "00000998877" + "00000000000";
        var reversals = await sw.Issuer.Log.WaitForAsync(e => e.OriginalData == de90 && e.Answer == "00", 1, E2e.Patience, E2e.None);
        Assert.Single(reversals);
        await E2e.WaitUntilAsync(async () => await E2e.SafDepthAsync(sw) == 0, "SAF depth metric back to 0");
        var all = E2e.ReversalsOf(sw.Issuer, de90);
        Assert.Equal("0420", all[0].Mti);
        Assert.Equal("drop", all[0].Behaviour);
        Assert.True(all.Count >= 2, "the unanswered 0420 was not repeated");
        Assert.All(all.Skip(1), r => Assert.Equal("0421", r.Mti));
        Assert.All(all, r => Assert.Equal((all[0].Stan, "998877", IssuerFaultSwitch.DropAmount), (r.Stan, r.AcquirerId, r.AmountMinor)));
        Assert.Equal("00", all[^1].Answer);
        Assert.Null(all[0].PinCheck); // no PIN block travels with a reversal (I4)

        // Answered: never sent again (wait past the longest retry).
        await Task.Delay(TimeSpan.FromMilliseconds(sw.SafFirstRetryMs * 4));
        Assert.Equal(all.Count, E2e.ReversalsOf(sw.Issuer, de90).Count);
        await AssertJournaledAsync(exchange, expectedSent: all.Count);
        E2e.AssertNoClearPan(sw);
    }

    [Fact]
    public async Task F7_issuer_closes_the_connection_mid_request_then_91_and_the_0420_goes_out_after_reconnect_and_sign_on_I1_I3()
    {
        await using var pos = await sw.TerminalAsync("TERM0002");
        var started = Stopwatch.StartNew();
        var exchange = await pos.SendAsync(E2e.Remote(IssuerFaultSwitch.DisconnectAmount), E2e.None);
        var elapsed = started.Elapsed;

        Assert.Equal("91", exchange.ResponseCode);
        Assert.True(elapsed <= TimeSpan.FromMilliseconds(sw.IssuerTimeoutMs) + Margin, $"91 after {elapsed.TotalMilliseconds:0} ms");
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == IssuerFaultSwitch.DisconnectAmount);
        Assert.Equal("disconnect", leg.Behaviour);

        string de90 = "0200" + leg.Stan + exchange.Request.GetString(7) + "00000998877" + "00000000000";
        var reversal = Assert.Single(await sw.Issuer.Log.WaitForAsync(e => e.OriginalData == de90 && e.Answer == "00", 1, E2e.Patience, E2e.None));
        // The reversal went out on the new connection, after its sign-on (0800 answered 0810 00).
        Assert.Contains(sw.Issuer.Log.OfMti("0800"), e => e.Sequence > leg.Sequence && e.Sequence < reversal.Sequence);
        await E2e.WaitUntilAsync(async () => await E2e.SafDepthAsync(sw) == 0, "SAF depth metric back to 0");
        await AssertJournaledAsync(exchange, expectedSent: E2e.ReversalsOf(sw.Issuer, de90).Count);

        // The switch goes on: the next remote purchase is approved.
        Assert.Equal("00", (await pos.SendAsync(E2e.Remote(1_100), E2e.None)).ResponseCode);
    }

    /// <summary>The transaction's legs in the projection: answered 91, its reversal queued once, sent as often as the issuer saw it, answered once.</summary>
    private async Task AssertJournaledAsync(PosExchange exchange, int expectedSent)
    {
        string stan = exchange.Request.GetString(11)!;
        Dictionary<string, int> legs = [];
        await E2e.WaitUntilAsync(async () =>
        {
            var rows = await E2e.QueryAsync(sw, """
                select l.leg, count(*) from journal_leg l
                where l.txn_id = (select txn_id from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @stan and response_code = '91' limit 1)
                group by l.leg
                """, ("stan", stan));
            legs = rows.ToDictionary(r => r[0]!, r => int.Parse(r[1]!, System.Globalization.CultureInfo.InvariantCulture));
            return legs.GetValueOrDefault("reversal_answered") > 0;
        }, "the reversal's answer projected");
        Assert.Equal(1, legs["response_out"]);
        Assert.Equal(1, legs["reversal_queued"]);
        Assert.Equal(expectedSent, legs["reversal_sent"]);
        Assert.Equal(1, legs["reversal_answered"]);
    }
}
