using System.Globalization;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// Issue 17's "a restart in the middle of SAF delivery losing nothing", through a real `switch run`: reversals of
/// remote approvals queued while the issuer is down; the issuer comes back answering slowly; the switch is stopped
/// (SIGTERM) or killed (SIGKILL) while it delivers, and started again. Every reversal reaches the issuer and is
/// answered (none lost), each is answered on record exactly once, none is sent again after its answer was recorded,
/// and after the first transmission every repeat is an 0421. I1 (the reversals' legs once each), I3.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SafRestartEndToEndTests(FastSwitchProcess sw) : IClassFixture<FastSwitchProcess>
{
    private const int Reversals = 6;

    /// <summary>The issuer back, acknowledging each reversal only after this: delivery takes seconds, so the restart falls in it.</summary>
    private static IssuerRules SlowReversals() => new()
    {
        Misbehaviours =
        [
            new MisbehaviourRule { Action = "delay", Mti = "0420", AnyMessage = true, DelayMs = 700 },
            new MisbehaviourRule { Action = "delay", Mti = "0421", AnyMessage = true, DelayMs = 700 },
        ],
    };

    [Fact]
    public Task Restart_with_SIGTERM_in_the_middle_of_SAF_delivery_loses_nothing_and_resends_nothing_answered_I1_I3() =>
        RestartMidDeliveryAsync(kill: false, amountBase: 2_100);

    [Fact]
    public Task Restart_after_SIGKILL_in_the_middle_of_SAF_delivery_loses_nothing_and_resends_nothing_answered_I1_I3() =>
        RestartMidDeliveryAsync(kill: true, amountBase: 3_100);

    private async Task RestartMidDeliveryAsync(bool kill, long amountBase)
    {
        // Remote approvals, one terminal connection each (each reverses its own last transaction).
        var terminals = new List<PosTerminal>();
        try
        {
            var legStans = new List<string>();
            for (int i = 0; i < Reversals; i++)
            {
                var pos = await sw.TerminalAsync("TERM0002");
                terminals.Add(pos);
                var approved = await pos.SendAsync(E2e.Remote(amountBase + i), E2e.None);
                Assert.Equal("00", approved.ResponseCode);
                legStans.Add(Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == amountBase + i).Stan!);
            }

            // The issuer goes down; the terminals reverse: each reversal is stored and acknowledged 00.
            await sw.StopIssuerAsync();
            await E2e.WaitUntilAsync(async () => await E2e.MetricAsync(sw, "switch_connector_signed_on", "connector=\"issuer-sim\"") == 0, "the connector sees the issuer gone");
            var reversalStans = new List<string>();
            foreach (var pos in terminals)
            {
                var reversal = await pos.ReverseLastAsync(null, "0420", E2e.None);
                Assert.Equal(("0430", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
                reversalStans.Add(reversal.Request.GetString(11)!);
            }
            double depth = (await E2e.SafDepthAsync(sw))!.Value;
            Assert.True(depth >= Reversals, $"SAF depth {depth}");

            // The issuer comes back slow; once delivery is under way the switch goes down and comes back.
            await sw.StartIssuerAgainAsync(SlowReversals());
            var issuer = sw.Issuer;
            await issuer.Log.WaitForAsync(e => IsOurs(e, legStans), 2, E2e.Patience, E2e.None);
            if (kill)
            {
                await sw.KillAsync();
                await sw.StartAgainAsync();
            }
            else
            {
                await sw.RestartAsync();
            }

            // Every reversal delivered and answered on record, once.
            await E2e.WaitUntilAsync(async () => await E2e.SafDepthAsync(sw) == 0, "SAF depth metric back to 0 after the restart");
            var answeredAt = await AnsweredOnRecordAsync(reversalStans);
            var received = issuer.Log.OfMti("0420", "0421").Where(e => IsOurs(e, legStans)).ToList();
            for (int i = 0; i < Reversals; i++)
            {
                var mine = received.Where(e => e.OriginalData!.StartsWith("0200" + legStans[i], StringComparison.Ordinal)).ToList();
                Assert.True(mine.Count >= 1, $"reversal {i} never reached the issuer");
                Assert.Equal("0420", mine[0].Mti);
                Assert.All(mine.Skip(1), e => Assert.Equal("0421", e.Mti));
                Assert.All(mine, e => Assert.Equal(amountBase + i, e.AmountMinor));
                // Never sent again once its answer was on record (the issuer logs at arrival, the switch records after the answer).
                Assert.All(mine, e => Assert.True(e.ReceivedAt.UtcDateTime <= answeredAt[i],
                    $"reversal {i} sent at {e.ReceivedAt:O} after its answer was recorded at {answeredAt[i]:O}"));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(sw.SafFirstRetryMs * 4));
            Assert.Equal(received.Count, issuer.Log.OfMti("0420", "0421").Count(e => IsOurs(e, legStans)));
        }
        finally
        {
            foreach (var pos in terminals) await pos.DisposeAsync();
        }
    }

    private static bool IsOurs(IssuerLogEntry e, List<string> legStans) =>
        e.OriginalData is { } od && legStans.Any(s => od.StartsWith("0200" + s, StringComparison.Ordinal));

    /// <summary>For each terminal reversal (by its STAN): the time its single reversal_answered leg was recorded.</summary>
    private async Task<DateTime[]> AnsweredOnRecordAsync(List<string> reversalStans)
    {
        var at = new DateTime[reversalStans.Count];
        for (int i = 0; i < reversalStans.Count; i++)
        {
            List<string?[]> rows = [];
            string stan = reversalStans[i];
            await E2e.WaitUntilAsync(async () =>
            {
                rows = await E2e.QueryAsync(sw, """
                    select leg, (extract(epoch from event_time) * 1000000)::bigint from journal_leg
                    where txn_id = (select txn_id from journal_leg where leg = 'response_out' and terminal_id = 'TERM0002' and stan = @s limit 1)
                      and leg in ('reversal_queued', 'reversal_answered')
                    """, ("s", stan));
                return rows.Any(r => r[0] == "reversal_answered");
            }, $"the answer of reversal {i} (STAN {stan}) projected", explain: async () => await E2e.SafLegsAsync(sw) + "\n" + await E2e.JournalStateAsync(sw) + "\n" + sw.Output);
            Assert.Single(rows, r => r[0] == "reversal_queued");
            var answered = Assert.Single(rows, r => r[0] == "reversal_answered");
            at[i] = DateTime.UnixEpoch.AddTicks(long.Parse(answered[1]!, CultureInfo.InvariantCulture) * 10);
        }
        return at;
    }
}
