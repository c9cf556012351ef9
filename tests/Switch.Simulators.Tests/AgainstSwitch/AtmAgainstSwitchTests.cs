using System.Text.Json;
using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests.AgainstSwitch;

/// <summary>The ATM simulator against a real `switch run`: withdrawal, balance inquiry with DE 54, full and partial reversal on dispense failure.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AtmAgainstSwitchTests(SimSwitch sw) : IClassFixture<SimSwitch>
{
    [Fact]
    public async Task A_withdrawal_with_PIN_is_approved_signed_and_debited()
    {
        long before = await sw.BalanceAsync('A');
        await using var atm = await sw.AtmAsync();
        var x = await atm.WithdrawAsync(CardProfile.Demo('A'), 2_000, null);
        Assert.Equal(("0210", "00"), (x.Answer!.Mti, x.ResponseCode));
        Assert.Equal(("010000", "ATM00001"), (x.Request.GetString(3), x.Request.GetString(41)));
        Assert.True(x.Request.Has(52), "no PIN block");
        Assert.True(x.AnswerMacValid, "the answer's MAC does not verify under the ATM's TAK");
        Assert.Equal(before - 2_000, await sw.BalanceAsync('A'));
    }

    [Fact]
    public async Task A_wrong_PIN_is_55_and_nothing_is_dispensed()
    {
        long before = await sw.BalanceAsync('F');
        await using var atm = await sw.AtmAsync();
        Assert.Equal("55", (await atm.WithdrawAsync(CardProfile.Demo('F'), 1_000, "0000")).ResponseCode);
        // A right PIN next resets the count (card F is the PIN-try card).
        Assert.Equal("00", (await atm.WithdrawAsync(CardProfile.Demo('F'), 100, null)).ResponseCode);
        Assert.Equal(before - 100, await sw.BalanceAsync('F'));
    }

    [Fact]
    public async Task A_balance_inquiry_shows_DE54_decoded()
    {
        await using var atm = await sw.AtmAsync();
        var x = await atm.BalanceAsync(CardProfile.Demo('B'), null);
        Assert.Equal("00", x.ResponseCode);
        var amount = Assert.Single(AtmTerminal.Balances(x));
        Assert.Equal(("00", "02", "840", 'C'), (amount.AccountType, amount.AmountType, amount.Currency, amount.Sign));
        Assert.Equal(DemoDataSet.Card('B').OpeningBalanceMinor, amount.AmountMinor);
        string table = ExchangePrinter.Table(x, decodeBalances: true);
        Assert.Contains("DE 54: account type 00 (default), amount type 02 (available balance), currency 840, C, 10.00", table, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoDataSet.Card('B').Pan, table, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(ExchangePrinter.Json(x, decodeBalances: true));
        Assert.Equal(1_000, json.RootElement.GetProperty("balances")[0].GetProperty("amountMinor").GetInt64());
    }

    [Fact]
    public async Task A_dispense_failure_reverses_the_withdrawal_in_full()
    {
        long before = await sw.BalanceAsync('A');
        await using var atm = await sw.AtmAsync();
        var withdrawal = await atm.WithdrawAsync(CardProfile.Demo('A'), 3_000, null);
        Assert.Equal("00", withdrawal.ResponseCode);
        var reversal = await atm.ReverseLastAsync(null);
        Assert.Equal(("0420", "0430", "00"), (reversal.Request.Mti, reversal.Answer!.Mti, reversal.ResponseCode));
        Assert.Equal(PosMessages.OriginalData(withdrawal.Request), reversal.Request.GetString(90));
        Assert.False(reversal.Request.Has(95));
        Assert.True(reversal.AnswerMacValid);
        Assert.Equal(before, await sw.BalanceAsync('A'));
    }

    [Fact]
    public async Task A_partial_dispense_reverses_what_did_not_come_out()
    {
        long before = await sw.BalanceAsync('A');
        await using var atm = await sw.AtmAsync();
        Assert.Equal("00", (await atm.WithdrawAsync(CardProfile.Demo('A'), 4_000, null)).ResponseCode);
        var reversal = await atm.ReverseLastAsync(1_500);
        Assert.Equal(("0430", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
        Assert.StartsWith("000000001500", reversal.Request.GetString(95), StringComparison.Ordinal);
        Assert.Equal(before - 1_500, await sw.BalanceAsync('A'));
        // The repeat of the advice (0421 would be the ATM's retry; the same 0420 again here) gives back nothing more.
        Assert.Equal("00", (await atm.Terminal.RepeatLastAsync(CancellationToken.None)).ResponseCode);
        Assert.Equal(before - 1_500, await sw.BalanceAsync('A'));
    }

    [Fact]
    public async Task A_partial_dispense_of_a_remote_card_reaches_the_issuer_with_DE95()
    {
        await using var atm = await sw.AtmAsync();
        var withdrawal = await atm.WithdrawAsync(CardProfile.Demo('R'), 3_001, null);
        Assert.Equal("00", withdrawal.ResponseCode);
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == 3_001);
        Assert.Equal(("010000", "verified"), (leg.ProcessingCode, leg.PinCheck));
        var reversal = await atm.ReverseLastAsync(1_000);
        Assert.Equal(("0430", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
        string de90 = SimSwitch.LegOriginalData(leg, withdrawal.Request.GetString(7)!);
        var atIssuer = (await sw.Issuer.Log.WaitForAsync(e => e.Mti is "0420" or "0421" && e.OriginalData == de90, 1, TimeSpan.FromSeconds(30), CancellationToken.None))[0];
        Assert.Contains("\"95\":\"000000001000", atIssuer.MaskedJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reversal_needs_a_withdrawal_and_a_dispensed_amount_below_it()
    {
        await using var atm = await sw.AtmAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => atm.ReverseLastAsync(null));
        Assert.Equal("00", (await atm.WithdrawAsync(CardProfile.Demo('A'), 500, null)).ResponseCode);
        await Assert.ThrowsAsync<ArgumentException>(() => atm.ReverseLastAsync(500));
        await Assert.ThrowsAsync<ArgumentException>(() => atm.WithdrawAsync(CardProfile.Demo('A'), 0, null));
    }

    [Fact]
    public void Sim_atm_withdraws_reverses_part_and_shows_the_balance()
    {
        var r = CliRunner.Run("sim", "atm", "--card", "E", "--balance", "--target", $"127.0.0.1:{sw.TerminalPort}");
        // Card E is expired: answered (54), so the run itself succeeds.
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("DE39 54", r.Stdout, StringComparison.Ordinal);

        var run = CliRunner.Run("sim", "atm", "--card", "D", "--amount", "100", "--json", "--target", $"127.0.0.1:{sw.TerminalPort}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("43", JsonDocument.Parse(run.Stdout.Trim()).RootElement.GetProperty("responseCode").GetString());

        var full = CliRunner.Run("sim", "atm", "--card", "A", "--amount", "2500", "--dispensed", "1000", "--balance-after", "--json",
            "--target", $"127.0.0.1:{sw.TerminalPort}");
        Assert.True(full.ExitCode == 0, full.ToString());
        var lines = full.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["withdrawal", "partial reversal", "balance inquiry"], lines.Select(l => l.GetProperty("exchange").GetString()));
        Assert.All(lines, l => Assert.Equal("00", l.GetProperty("responseCode").GetString()));
        Assert.Equal("0420", lines[1].GetProperty("request").GetProperty("mti").GetString());
        Assert.Equal("02", lines[2].GetProperty("balances")[0].GetProperty("amountType").GetString());
        foreach (var card in DemoDataSet.Cards) Assert.DoesNotContain(card.Pan, full.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_atm_runs_a_script_and_fails_on_an_unexpected_balance()
    {
        string dir = Directory.CreateTempSubdirectory("sims-atm-").FullName;
        try
        {
            string ok = Path.Combine(dir, "ok.json");
            File.WriteAllText(ok, """
                { "steps": [
                  { "action": "withdraw", "card": "C", "amountMinor": 1000, "expect": "41" },
                  { "action": "withdraw", "card": "B", "amountMinor": 400, "expect": "00" },
                  { "action": "reverse", "expect": "00" },
                  { "action": "balance", "card": "B", "expect": "00", "expectAvailableMinor": 1000 }
                ] }
                """);
            var r = CliRunner.Run("sim", "atm", "--script", ok, "--target", $"127.0.0.1:{sw.TerminalPort}");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("DE 54: account type 00 (default), amount type 02 (available balance), currency 840, C, 10.00", r.Stdout, StringComparison.Ordinal);

            string wrong = Path.Combine(dir, "wrong.json");
            File.WriteAllText(wrong, """{ "steps": [ { "action": "balance", "card": "B", "expectAvailableMinor": 1 } ] }""");
            var failed = CliRunner.Run("sim", "atm", "--script", wrong, "--target", $"127.0.0.1:{sw.TerminalPort}");
            Assert.True(failed.ExitCode == 1, failed.ToString());
            Assert.Equal(["error: step 1 (balance inquiry): expected an available balance of 1, got 1000"], failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
