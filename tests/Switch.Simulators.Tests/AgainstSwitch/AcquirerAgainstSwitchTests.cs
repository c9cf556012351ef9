using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests.AgainstSwitch;

/// <summary>
/// The acquirer simulator against a real `switch run`: the demo acquirer 445566 on the acquirers listener, with its own
/// terminals (not in the master data), PIN blocks under its ZPK, its DE32 echoed and part of the duplicate key.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AcquirerAgainstSwitchTests(SimSwitch sw) : IClassFixture<SimSwitch>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task An_on_us_purchase_from_the_acquirer_is_approved_with_its_DE32_echoed()
    {
        long before = await sw.BalanceAsync('A');
        await using var acquirer = await sw.AcquirerTerminalAsync();
        var x = await acquirer.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 1_200 }, None);
        Assert.Equal("00", x.ResponseCode);
        Assert.Equal((SimSwitch.Acquirer.InstitutionId, SimSwitch.Acquirer.TerminalId), (x.Answer!.GetString(32), x.Answer.GetString(41)));
        Assert.False(x.Answer.Has(64), "the acquirer uses no MAC: the answer has none");
        Assert.Matches("^[0-9A-Z]{6}$", x.Answer.GetString(38)!);
        Assert.Equal(before - 1_200, await sw.BalanceAsync('A'));
        // Its reversal (DE90 with its DE32) finds the original.
        var reversal = await acquirer.ReverseLastAsync(null, None);
        Assert.Equal(("0410", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
        Assert.Equal(before, await sw.BalanceAsync('A'));
    }

    [Fact]
    public async Task A_wrong_PIN_under_the_acquirer_ZPK_is_55()
    {
        await using var acquirer = await sw.AcquirerTerminalAsync();
        var x = await acquirer.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 100, Pin = "9999" }, None);
        Assert.Equal("55", x.ResponseCode);
    }

    [Fact]
    public async Task A_remote_card_from_the_acquirer_reaches_the_issuer_with_the_PIN_translated_and_the_switch_DE32()
    {
        await using var acquirer = await sw.AcquirerTerminalAsync();
        var x = await acquirer.SendAsync(new PosTransaction { Card = CardProfile.Demo('R'), AmountMinor = 1_301 }, None);
        Assert.Equal("00", x.ResponseCode);
        Assert.Equal(SimSwitch.Acquirer.InstitutionId, x.Answer!.GetString(32));
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.AmountMinor == 1_301);
        Assert.Equal(("verified", "998877", SimSwitch.Acquirer.TerminalId), (leg.PinCheck, leg.AcquirerId, leg.TerminalId));
    }

    [Theory]
    [InlineData("112233")]
    [InlineData(null)]
    public async Task Another_institution_or_none_on_the_acquirer_listener_is_58(string? de32)
    {
        await using var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = sw.AcquirerPort, TerminalId = SimSwitch.Acquirer.TerminalId, MerchantId = SimSwitch.Acquirer.MerchantId,
            PinKey = SimSwitch.Acquirer.ZpkRef, AcquirerId = de32, AnswerTimeoutMs = 15_000,
        });
        var x = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 100 }, None);
        Assert.Equal("58", x.ResponseCode);
    }

    [Fact]
    public async Task The_acquirer_terminals_are_not_served_on_the_terminals_listener()
    {
        await using var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = sw.TerminalPort, TerminalId = SimSwitch.Acquirer.TerminalId, MerchantId = SimSwitch.Acquirer.MerchantId,
            PinKey = SimSwitch.Acquirer.ZpkRef, AcquirerId = SimSwitch.Acquirer.InstitutionId, AnswerTimeoutMs = 15_000,
        });
        Assert.Equal("58", (await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 100 }, None)).ResponseCode);
    }

    [Fact]
    public async Task Duplicates_are_keyed_by_the_acquirer_DE32()
    {
        long before = await sw.BalanceAsync('A');
        // The acquirer's terminal has the id of one of ours (TERM0002, no MAC): the same DE7, DE11 and DE41.
        await using var acquirer = await sw.AcquirerTerminalAsync("TERM0002");
        var first = await acquirer.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 210, NoPin = true }, None);
        Assert.Equal("00", first.ResponseCode);
        var repeat = await acquirer.RepeatLastAsync(None);
        Assert.Equal(first.AnswerBytes, repeat.AnswerBytes);
        Assert.Equal(before - 210, await sw.BalanceAsync('A'));

        // The same fields without DE32 from our own TERM0002: another transaction, authorized on its own.
        await using var own = await sw.TerminalAsync("TERM0002");
        var copy = own.Spec.Decode(first.RequestBytes);
        copy.Remove(32);
        var ours = await own.ExchangeAsync("same keys, no DE32", copy, None);
        Assert.Equal("00", ours.ResponseCode);
        Assert.NotEqual(first.Answer!.GetString(38), ours.Answer!.GetString(38));
        Assert.Equal(before - 420, await sw.BalanceAsync('A'));
    }

    [Fact]
    public void Sim_acquirer_sends_with_its_institution_and_is_approved()
    {
        var r = CliRunner.Run("sim", "acquirer", "--card", "A", "--amount", "150", "--duplicate", "--target", $"127.0.0.1:{sw.AcquirerPort}", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal("00", l.GetProperty("responseCode").GetString()));
        Assert.All(lines, l => Assert.Equal(SimSwitch.Acquirer.InstitutionId, l.GetProperty("answer").GetProperty("fields").GetProperty("32").GetString()));
        Assert.DoesNotContain(DemoDataSet.Card('A').Pan, r.Stdout, StringComparison.Ordinal);
    }
}
