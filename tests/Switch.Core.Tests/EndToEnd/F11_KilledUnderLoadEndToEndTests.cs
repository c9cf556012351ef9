using System.Collections.Concurrent;
using System.Globalization;
using Switch.Simulators.Card;
using Xunit.Abstractions;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// FAULTS.md F11 through a real `switch run`: many POS terminals on TERM0001 (MAC) and TERM0002 send on-us purchases
/// of demo cards A and F; the switch is killed with SIGKILL at a random moment and started again.
/// <list type="bullet">
/// <item>I1: every approval a terminal received is in the journal (journal_leg, after `journal verify` says spool,
/// Kafka and Postgres agree) exactly once.</item>
/// <item>I2 gives the other bound: an approval is sent only after its append is durable, so an approval journaled but
/// never received can only be one whose answer was lost in the kill: received ≤ journaled ≤ received + in flight at
/// the kill (requests that got no answer). Both inequalities are checked per card, and the balance the restarted switch
/// reports is exactly the opening balance minus the journaled debits (state rebuilt from the journal).</item>
/// <item>I3: the restarted switch answers; I4: no clear PAN printed.</item>
/// </list>
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class F11_KilledUnderLoadEndToEndTests(FastSwitchProcess sw, ITestOutputHelper output) : IClassFixture<FastSwitchProcess>
{
    private const int Terminals = 12;
    private const long Amount = 10;
    private const long Opening = 100_000;

    private sealed record Sent(string TerminalId, string Stan, char Card);

    [Fact]
    public async Task F11_switch_killed_with_SIGKILL_under_load_then_every_received_approval_is_journaled_once_and_balances_match_I1_I2_I3_I4()
    {
        var approved = new ConcurrentBag<Sent>();
        var unanswered = new ConcurrentBag<Sent>();
        var declined = new ConcurrentBag<string>();
        var firstApproval = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var load = Enumerable.Range(0, Terminals).Select(i => Task.Run(async () =>
        {
            string terminal = i % 2 == 0 ? "TERM0001" : "TERM0002";
            char card = i % 4 < 2 ? 'A' : 'F';
            // Distinct STAN ranges: two connections of one terminal id never send the same DE11 (that would be a duplicate).
            await using var pos = new PosTerminal(new PosTerminalOptions { Port = sw.TerminalPort, TerminalId = terminal, StanStart = 1 + i * 50_000, AnswerTimeoutMs = 20_000 });
            for (int n = 0; n < 40_000; n++)
            {
                var exchange = await pos.SendAsync(E2e.OnUs(card, Amount), E2e.None);
                var sent = new Sent(terminal, exchange.Request.GetString(11)!, card);
                if (!exchange.Answered)
                {
                    unanswered.Add(sent);
                    return;
                }
                if (exchange.ResponseCode == "00")
                {
                    approved.Add(sent);
                    firstApproval.TrySetResult();
                }
                else
                {
                    declined.Add(exchange.ResponseCode!);
                }
            }
        })).ToArray();

        await firstApproval.Task.WaitAsync(E2e.Patience);
        int killAfterMs = Random.Shared.Next(1_500, 3_500);
        await Task.Delay(killAfterMs);
        await sw.KillAsync();
        await Task.WhenAll(load).WaitAsync(E2e.Patience);
        output.WriteLine($"killed after {killAfterMs} ms of load: {approved.Count} approvals received, {unanswered.Count} unanswered, {declined.Count} declined ({string.Join(",", declined.Distinct())})");
        Assert.Empty(declined);
        Assert.False(approved.IsEmpty);

        await sw.StartAgainAsync();
        await E2e.JournalVerifiedAsync(sw);
        var rows = await E2e.QueryAsync(sw, """
            select terminal_id, stan, response_code, count(*) from journal_leg
            where leg = 'response_out' and mti = '0210' and terminal_id in ('TERM0001', 'TERM0002')
            group by terminal_id, stan, response_code
            """);
        var journaled = rows.ToDictionary(r => (r[0]!, r[1]!, r[2]!), r => int.Parse(r[3]!, CultureInfo.InvariantCulture));

        // I1: each received approval exactly once.
        foreach (var a in approved)
        {
            Assert.True(journaled.GetValueOrDefault((a.TerminalId, a.Stan, "00")) == 1,
                $"approval {a.TerminalId} STAN {a.Stan} is journaled {journaled.GetValueOrDefault((a.TerminalId, a.Stan, "00"))} times");
        }
        // The operator's view agrees for one of them (journal find reads the projection).
        var sample = approved.First();
        var find = CliRunner.Run(["journal", "find", "--terminal", sample.TerminalId, "--stan", sample.Stan, "--json", "--config", sw.ConfigPath], timeoutMs: 120_000);
        Assert.True(find.ExitCode == 0, find.ToString());
        using (var legs = System.Text.Json.JsonDocument.Parse(find.Stdout))
        {
            var outs = legs.RootElement.EnumerateArray().Where(l => l.GetProperty("leg").GetString() == "response_out" && l.GetProperty("mti").GetString() == "0210").ToList();
            Assert.Equal("00", Assert.Single(outs).GetProperty("responseCode").GetString());
        }

        // I2: a journaled approval nobody received was in flight at the kill.
        var inFlight = unanswered.ToDictionary(u => (u.TerminalId, u.Stan));
        var receivedKeys = approved.Select(a => (a.TerminalId, a.Stan)).ToHashSet();
        var lostAnswers = journaled.Where(j => j.Key.Item3 == "00" && !receivedKeys.Contains((j.Key.Item1, j.Key.Item2))).Select(j => (j.Key.Item1, j.Key.Item2)).ToList();
        Assert.All(lostAnswers, k => Assert.True(inFlight.ContainsKey(k), $"{k.Item1} STAN {k.Item2} journaled as approved, neither received nor in flight"));
        Assert.All(journaled, j => Assert.Equal(1, j.Value));

        foreach (char card in new[] { 'A', 'F' })
        {
            int received = approved.Count(a => a.Card == card);
            int journaledDebits = received + lostAnswers.Count(k => inFlight[k].Card == card);
            int inFlightOfCard = unanswered.Count(u => u.Card == card);
            Assert.InRange(journaledDebits, received, received + inFlightOfCard);
            long balance = await E2e.BalanceAsync(sw, card, "TERM0002");
            output.WriteLine($"card {card}: {received} received, {journaledDebits} journaled, {inFlightOfCard} in flight; balance {balance}");
            Assert.Equal(Opening - Amount * journaledDebits, balance);
        }
        // The restarted switch goes on approving.
        await using (var pos = await sw.TerminalAsync())
            Assert.Equal("00", (await pos.SendAsync(E2e.OnUs('A', Amount), E2e.None)).ResponseCode);
        E2e.AssertNoClearPan(sw);
    }
}
