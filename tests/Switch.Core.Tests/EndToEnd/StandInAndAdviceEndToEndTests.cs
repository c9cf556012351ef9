using System.Text.Json;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// Stand-in end to end (issue 17, FAULTS.md F7's "or a STIP decision"): with the issuer down, the demo remote card
/// without a PIN up to the 50.00 stand-in limit is approved by the switch with its own DE38; over the limit or with a
/// PIN it is 91. Once the issuer is back, the 0220 and 0120 advices of the stand-in approvals reach it through
/// store-and-forward. I1: each stand-in approval is journaled once with its decision; I4: no clear PAN printed.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class StandInAndAdviceEndToEndTests(FastSwitchProcess sw) : IClassFixture<FastSwitchProcess>
{
    private const string SignedOn = "switch_connector_signed_on";

    [Fact]
    public async Task Issuer_down_then_stand_in_approves_up_to_the_limit_without_PIN_declines_the_rest_91_and_the_advices_reach_the_issuer_once_back_I1_I4()
    {
        await sw.StopIssuerAsync();
        await E2e.WaitUntilAsync(async () => await E2e.MetricAsync(sw, SignedOn, "connector=\"issuer-sim\"") == 0, "the connector sees the issuer gone");
        await using var pos = await sw.TerminalAsync("TERM0002");

        var purchase = await pos.SendAsync(E2e.Remote(2_000, noPin: true), E2e.None);
        var atLimit = await pos.SendAsync(E2e.Remote(5_000, noPin: true), E2e.None);
        var preAuth = await pos.SendAsync(E2e.Remote(1_000, noPin: true, mti: "0100"), E2e.None);
        var overLimit = await pos.SendAsync(E2e.Remote(5_001, noPin: true), E2e.None);
        var withPin = await pos.SendAsync(E2e.Remote(1_000), E2e.None);

        PosExchange[] approved = [purchase, atLimit, preAuth];
        foreach (var a in approved)
        {
            Assert.Equal("00", a.ResponseCode);
            Assert.Matches("^S[0-9]{5}$", a.Answer!.GetString(38)!);
        }
        Assert.Equal("0110", preAuth.Answer!.Mti);
        Assert.Equal(3, approved.Select(a => a.Answer!.GetString(38)).Distinct().Count());
        foreach (var declined in new[] { overLimit, withPin })
        {
            Assert.Equal("91", declined.ResponseCode);
            Assert.False(declined.Answer!.Has(38));
        }
        Assert.Equal(3, await E2e.SafDepthAsync(sw));

        // The issuer comes back: the connector reconnects, signs on and delivers the advices in order.
        await sw.StartIssuerAgainAsync();
        var advices = await sw.Issuer.Log.WaitForAsync(e => e.Mti is "0220" or "0120", 3, E2e.Patience, E2e.None);
        Assert.Equal(["0220", "0220", "0120"], advices.Select(a => a.Mti));
        for (int i = 0; i < approved.Length; i++)
        {
            var advice = advices[i];
            var fields = JsonDocument.Parse(advice.MaskedJson).RootElement.GetProperty("fields");
            Assert.Equal(approved[i].Answer!.GetString(38), fields.GetProperty("38").GetString());
            Assert.Equal("00", fields.GetProperty("39").GetString());
            Assert.Equal((approved[i].Request.AmountMinor(), "998877", "00"), (advice.AmountMinor, advice.AcquirerId, advice.Answer));
            Assert.Null(advice.PinCheck);
        }
        Assert.Empty(sw.Issuer.Log.OfMti("0200", "0100"));
        await E2e.WaitUntilAsync(async () => await E2e.SafDepthAsync(sw) == 0, "SAF depth metric back to 0");

        // Journaled: each stand-in approval once with its decision and its advice answered; the 91s are no approvals.
        foreach (var a in approved)
        {
            var legs = await LegsAsync(a, "advice_answered");
            Assert.Equal(1, legs["stand_in_decision"]);
            Assert.Equal(1, legs["advice_queued"]);
            Assert.Equal(1, legs["advice_answered"]);
            Assert.Equal(1, legs["response_out"]);
        }
        foreach (var d in new[] { overLimit, withPin })
        {
            var legs = await LegsAsync(d, "stand_in_decision");
            Assert.False(legs.ContainsKey("advice_queued"));
        }
        E2e.AssertNoClearPan(sw);

        // Back to normal: the issuer decides again.
        var online = await pos.SendAsync(E2e.Remote(2_000, noPin: true), E2e.None);
        Assert.Equal("00", online.ResponseCode);
        Assert.DoesNotMatch("^S", online.Answer!.GetString(38)!);
    }

    private async Task<Dictionary<string, int>> LegsAsync(PosExchange exchange, string waitFor)
    {
        Dictionary<string, int> legs = [];
        await E2e.WaitUntilAsync(async () =>
        {
            var rows = await E2e.QueryAsync(sw, """
                select leg, count(*) from journal_leg
                where txn_id = (select txn_id from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @s limit 1)
                group by leg
                """, ("s", exchange.Request.GetString(11)!));
            legs = rows.ToDictionary(r => r[0]!, r => int.Parse(r[1]!, System.Globalization.CultureInfo.InvariantCulture));
            return legs.ContainsKey(waitFor);
        }, $"{waitFor} projected");
        return legs;
    }
}

internal static class MessageAmount
{
    public static long AmountMinor(this Iso8583.Message.IsoMessage m) => long.Parse(m.GetString(4)!, System.Globalization.CultureInfo.InvariantCulture);
}
