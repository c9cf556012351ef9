using Switch.Iso8583.Message;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// FAULTS.md F10 through a real `switch run`: TERM0001 and TERM0002 send requests with the same STAN and the same DE7
/// at the same time. Each gets its own answer (its own DE41, DE2, DE4 and DE38), nothing crosses over, both are
/// debited; on the issuer side the two remote legs carry distinct switch STANs and each terminal gets the answer to its
/// own leg with its own DE11 restored. I1: each approval journaled once.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class F10_CorrelationCollisionEndToEndTests(FastSwitchProcess sw) : IClassFixture<FastSwitchProcess>
{
    private const int Pairs = 8;

    /// <summary>Requests of both terminals with TERM0001's STAN, DE7, DE12, DE13 and DE37 (TERM0002 sends no MAC, so its copy stays valid).</summary>
    private async Task<(IsoMessage One, IsoMessage Two)> CollidingAsync(Simulators.Card.PosTransaction forOne, Simulators.Card.PosTransaction forTwo, int stan)
    {
        var one = await E2e.BuildAsync(sw, forOne, "TERM0001", stan);
        var two = await E2e.BuildAsync(sw, forTwo, "TERM0002", stan);
        foreach (int f in (int[])[7, 11, 12, 13, 37]) two.Set(f, one.GetString(f)!);
        return (one, two);
    }

    private async Task<IsoMessage> ExchangeAsync(IsoMessage request)
    {
        using var terminal = await E2e.RawTerminalAsync(sw);
        return await terminal.ExchangeAsync(request);
    }

    private static void AssertAnswers(IsoMessage request, IsoMessage answer)
    {
        Assert.Equal("00", answer.GetString(39));
        foreach (int f in (int[])[2, 4, 11, 41, 42])
            Assert.True(request.GetString(f) == answer.GetString(f), $"DE{f} of {request.GetString(41)}'s answer is not its own");
    }

    [Fact]
    public async Task F10_two_terminals_with_the_same_STAN_and_DE7_each_get_their_own_on_us_answer_and_both_are_debited_I1()
    {
        long beforeA = await E2e.BalanceAsync(sw, 'A');
        long beforeF = await E2e.BalanceAsync(sw, 'F');
        var pairs = new List<(IsoMessage One, IsoMessage Two)>();
        for (int i = 0; i < Pairs; i++) pairs.Add(await CollidingAsync(E2e.OnUs('A', 101 + i), E2e.OnUs('F', 201 + i), 700_000 + i));
        var answers = await Task.WhenAll(pairs.SelectMany(p => new[] { ExchangeAsync(p.One), ExchangeAsync(p.Two) }));
        for (int i = 0; i < Pairs; i++)
        {
            AssertAnswers(pairs[i].One, answers[2 * i]);
            AssertAnswers(pairs[i].Two, answers[2 * i + 1]);
            Assert.NotEqual(answers[2 * i].GetString(38), answers[2 * i + 1].GetString(38));
        }
        long debitedA = Enumerable.Range(0, Pairs).Sum(i => 101L + i);
        long debitedF = Enumerable.Range(0, Pairs).Sum(i => 201L + i);
        Assert.Equal(beforeA - debitedA, await E2e.BalanceAsync(sw, 'A'));
        Assert.Equal(beforeF - debitedF, await E2e.BalanceAsync(sw, 'F'));
        await E2e.WaitUntilAsync(async () => (await E2e.QueryAsync(sw,
            "select 1 from journal_leg where leg = 'response_out' and stan like '7000%' and response_code = '00' and mti = '0210'")).Count == 2 * Pairs, "both terminals' answers projected");
    }

    [Fact]
    public async Task F10_two_remote_legs_with_colliding_terminal_STANs_get_distinct_switch_STANs_and_the_right_replies()
    {
        var pairs = new List<(IsoMessage One, IsoMessage Two)>();
        for (int i = 0; i < Pairs; i++) pairs.Add(await CollidingAsync(E2e.Remote(3_001 + i), E2e.Remote(4_001 + i), 800_000 + i));
        var answers = await Task.WhenAll(pairs.SelectMany(p => new[] { ExchangeAsync(p.One), ExchangeAsync(p.Two) }));
        var legs = sw.Issuer.Log.OfMti("0200").Where(e => e.AmountMinor is (>= 3_001 and < 3_001 + Pairs) or (>= 4_001 and < 4_001 + Pairs)).ToList();
        Assert.Equal(2 * Pairs, legs.Count);
        Assert.Equal(2 * Pairs, legs.Select(l => l.Stan).Distinct().Count());
        Assert.All(legs, l => Assert.Equal("998877", l.AcquirerId));
        for (int i = 0; i < Pairs; i++)
        {
            AssertAnswers(pairs[i].One, answers[2 * i]);
            AssertAnswers(pairs[i].Two, answers[2 * i + 1]);
            // The leg of each terminal's amount went out with that terminal's DE41.
            Assert.Equal("TERM0001", Assert.Single(legs, l => l.AmountMinor == 3_001 + i).TerminalId);
            Assert.Equal("TERM0002", Assert.Single(legs, l => l.AmountMinor == 4_001 + i).TerminalId);
        }
    }
}
