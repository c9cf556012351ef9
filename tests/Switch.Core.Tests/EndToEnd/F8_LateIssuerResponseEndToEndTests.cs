namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// FAULTS.md F8 through the acceptor of a real `switch run`: the issuer approves after the connector's timeout. The
/// terminal's connection carries exactly one answer (91; the late approval is never forwarded), the switch logs the
/// reply as late and counts it, and the 0420 of the leg still goes out. I1: nothing the terminal saw was an approval,
/// and no approval is journaled for it.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class F8_LateIssuerResponseEndToEndTests(IssuerFaultSwitch sw) : IClassFixture<IssuerFaultSwitch>
{
    [Fact]
    public async Task F8_a_late_approval_is_never_forwarded_is_logged_as_late_and_the_0420_still_goes_out_I1_I3()
    {
        var request = await E2e.BuildAsync(sw, E2e.Remote(IssuerFaultSwitch.LateAmount), "TERM0002");
        using var terminal = await E2e.RawTerminalAsync(sw);
        await terminal.SendAsync(request);

        var answer = await terminal.ReceiveAsync();
        Assert.Equal(("0210", "91", request.GetString(11)), (answer.Mti, answer.GetString(39), answer.GetString(11)));
        Assert.False(answer.Has(38));
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == IssuerFaultSwitch.LateAmount);
        Assert.Equal(("late", "00"), (leg.Behaviour, leg.Answer));

        // The issuer's approval arrives after the timeout: counted as late, logged, and not forwarded.
        await E2e.WaitUntilAsync(async () => await E2e.MetricAsync(sw, "switch_late_responses_total", "endpoint=\"issuer-sim\"") >= 1, "the late reply counted");
        await E2e.WaitUntilAsync(() => sw.Output.Contains($"late reply 0210 STAN {leg.Stan} DE39 00", StringComparison.Ordinal), "the late reply logged");
        Assert.Null(await terminal.TryReceiveAsync(TimeSpan.FromSeconds(3)));

        // The reversal of the leg still goes out, with the leg's DE90, and is answered.
        string de90 = "0200" + leg.Stan + request.GetString(7) + "00000998877" + "00000000000";
        Assert.NotEmpty(await sw.Issuer.Log.WaitForAsync(e => e.OriginalData == de90 && e.Answer == "00", 1, E2e.Patience, E2e.None));
        await E2e.WaitUntilAsync(async () => await E2e.SafDepthAsync(sw) == 0, "SAF depth metric back to 0");

        // The journal: the terminal's transaction answered 91 once, the issuer's late 00 never recorded as its answer.
        await E2e.WaitUntilAsync(async () => (await E2e.QueryAsync(sw,
            "select 1 from journal_leg where leg = 'reversal_answered' and txn_id = (select txn_id from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @s)",
            ("s", request.GetString(11)!))).Count == 1, "the reversal's answer projected");
        var outs = await E2e.QueryAsync(sw, "select response_code, approval_code from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @s", ("s", request.GetString(11)!));
        var only = Assert.Single(outs);
        Assert.Equal("91", only[0]);
        Assert.True(string.IsNullOrEmpty(only[1]), $"approval code {only[1]} journaled on a 91");
        Assert.Empty(await E2e.QueryAsync(sw, "select 1 from journal_leg where leg = 'response_in' and txn_id = (select txn_id from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @s)",
            ("s", request.GetString(11)!)));
    }
}
