using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// FAULTS.md F9 through a real `switch run`: a terminal retransmits the same request (same DE7, DE11, DE32, DE37,
/// DE41). The switch replays the stored answer without authorizing again (no second debit or hold, no second issuer
/// leg, no second journal record), and a repeated 0420 is acknowledged 00 again and credits once. I1: one journaled
/// answer per transaction however often it is repeated.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class F9_DuplicateRequestEndToEndTests(FastSwitchProcess sw) : IClassFixture<FastSwitchProcess>
{
    private const string Acquirer = "12345678901";

    private Task<PosTerminal> TerminalWithAcquirerAsync(string terminal) => ConnectAsync(new PosTerminalOptions { Port = sw.TerminalPort, TerminalId = terminal, AcquirerId = Acquirer, AnswerTimeoutMs = 15_000 });

    private static async Task<PosTerminal> ConnectAsync(PosTerminalOptions options)
    {
        var pos = new PosTerminal(options);
        await pos.ConnectAsync(E2e.None);
        return pos;
    }

    private async Task<int> JournaledAnswersAsync(string terminal, string stan) =>
        (await E2e.QueryAsync(sw, "select 1 from journal_leg where leg = 'response_out' and terminal_id = @t and stan = @s", ("t", terminal), ("s", stan))).Count;

    [Fact]
    public async Task F9_a_retransmitted_purchase_gets_the_stored_answer_without_a_second_debit_and_a_repeated_0420_credits_once_I1()
    {
        long before = await E2e.BalanceAsync(sw, 'A');
        double duplicatesBefore = await E2e.MetricAsync(sw, "switch_duplicates_answered_total") ?? 0;
        await using var pos = await TerminalWithAcquirerAsync("TERM0001");
        var first = await pos.SendAsync(E2e.OnUs('A', 300), E2e.None);
        Assert.Equal("00", first.ResponseCode);
        Assert.Equal(Acquirer, first.Request.GetString(32));
        var again = await pos.RepeatLastAsync(E2e.None);
        var third = await pos.RepeatLastAsync(E2e.None);
        Assert.Equal(first.AnswerBytes, again.AnswerBytes);
        Assert.Equal(first.AnswerBytes, third.AnswerBytes);
        Assert.True(again.AnswerMacValid);
        Assert.Equal(before - 300, await E2e.BalanceAsync(sw, 'A'));
        Assert.Equal(duplicatesBefore + 2, await E2e.MetricAsync(sw, "switch_duplicates_answered_total"));

        // The reversal, then its repeat (0421 semantics: the same 0420 again): 00 both times, credited once.
        var reversal = await pos.ReverseLastAsync(null, "0420", E2e.None);
        Assert.Equal(("0430", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
        var repeated = await pos.RepeatLastAsync(E2e.None);
        Assert.Equal(("0430", "00"), (repeated.Answer!.Mti, repeated.ResponseCode));
        Assert.Equal(reversal.AnswerBytes, repeated.AnswerBytes);
        Assert.Equal(before, await E2e.BalanceAsync(sw, 'A'));

        await E2e.WaitUntilAsync(async () => await JournaledAnswersAsync("TERM0001", reversal.Request.GetString(11)!) == 1, "the reversal projected");
        Assert.Equal(1, await JournaledAnswersAsync("TERM0001", first.Request.GetString(11)!));
        var credits = await E2e.QueryAsync(sw, "select 1 from journal_leg where leg = 'balance_credit' and terminal_id = 'TERM0001' and stan = @s", ("s", reversal.Request.GetString(11)!));
        Assert.Single(credits);
    }

    [Fact]
    public async Task F9_a_retransmitted_remote_purchase_gets_the_stored_answer_and_reaches_the_issuer_once_I1()
    {
        const long amount = 1_777;
        await using var pos = await TerminalWithAcquirerAsync("TERM0002");
        var first = await pos.SendAsync(E2e.Remote(amount), E2e.None);
        Assert.Equal("00", first.ResponseCode);
        var again = await pos.RepeatLastAsync(E2e.None);
        Assert.Equal(first.AnswerBytes, again.AnswerBytes);
        Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == amount);
        await E2e.WaitUntilAsync(async () => await JournaledAnswersAsync("TERM0002", first.Request.GetString(11)!) >= 1, "the purchase projected");
        Assert.Equal(1, await JournaledAnswersAsync("TERM0002", first.Request.GetString(11)!));
    }

    [Fact]
    public async Task F9_the_same_STAN_and_DE7_from_another_acquirer_id_is_no_duplicate()
    {
        long before = await E2e.BalanceAsync(sw, 'F', "TERM0002");
        var one = await E2e.BuildAsync(sw, E2e.OnUs('F', 120), "TERM0002");
        var other = await E2e.BuildAsync(sw, E2e.OnUs('F', 120), "TERM0002");
        foreach (int f in (int[])[7, 11, 12, 13, 37]) other.Set(f, one.GetString(f)!);
        one.Set(32, "11111111111");
        other.Set(32, "22222222222");
        using var terminal = await E2e.RawTerminalAsync(sw);
        var a = await terminal.ExchangeAsync(one);
        var b = await terminal.ExchangeAsync(other);
        Assert.Equal(("00", "11111111111"), (a.GetString(39), a.GetString(32)));
        Assert.Equal(("00", "22222222222"), (b.GetString(39), b.GetString(32)));
        Assert.NotEqual(a.GetString(38), b.GetString(38));
        Assert.Equal(before - 240, await E2e.BalanceAsync(sw, 'F', "TERM0002"));
    }
}
