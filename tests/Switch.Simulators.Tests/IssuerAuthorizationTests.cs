using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>The issuer simulator's decisions, driven by the POS terminal over loopback TCP.</summary>
public sealed class IssuerAuthorizationTests
{
    [Fact]
    public async Task The_remote_card_with_its_PIN_is_approved_with_an_authorization_code_and_the_fields_echoed()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.True(x.Answered, x.Error);
        Assert.Equal("0210", x.Answer!.Mti);
        Assert.Equal("00", x.ResponseCode);
        Assert.Matches("^[0-9]{6}$", x.Answer.GetString(38));
        foreach (int f in (int[])[2, 3, 4, 7, 11, 12, 13, 37, 41, 42, 49]) Assert.Equal(x.Request.GetString(f), x.Answer.GetString(f));
        var entry = Assert.Single(pair.Issuer.Log.Snapshot());
        Assert.Equal("verified", entry.PinCheck);
        Assert.Equal(x.Request.GetString(11), entry.Stan);
        Assert.Equal("00", entry.Answer);
    }

    [Fact]
    public async Task A_wrong_PIN_deciphered_under_the_ZPK_is_answered_55()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        var tx = SimPair.Purchase(1000);
        tx.Pin = "4322";
        var x = await pos.SendAsync(tx, Timeouts.Token());
        Assert.Equal("55", x.ResponseCode);
        Assert.False(x.Answer!.Has(38));
        Assert.Equal("wrong", pair.Issuer.Log.Snapshot()[^1].PinCheck);
        tx = SimPair.Purchase(1000);
        tx.Fault = PosFault.WrongPin;
        Assert.Equal("55", (await pos.SendAsync(tx, Timeouts.Token())).ResponseCode);
    }

    [Fact]
    public async Task A_PIN_block_under_another_key_is_undecipherable_and_answered_55()
    {
        await using var pair = await SimPair.StartAsync();
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = pair.Issuer.Port, TerminalId = "TERM0002", PinKey = "demo-tpk" });
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.Equal("55", x.ResponseCode);
        Assert.NotEqual("verified", pair.Issuer.Log.Snapshot()[^1].PinCheck);
    }

    [Fact]
    public async Task Without_a_PIN_block_nothing_is_checked_and_the_request_is_approved()
    {
        await using var pair = await SimPair.StartAsync();
        var tx = SimPair.Purchase(1000);
        tx.NoPin = true;
        var x = await pair.Terminal().SendAsync(tx, Timeouts.Token());
        Assert.Equal("00", x.ResponseCode);
        Assert.False(x.Request.Has(52));
        Assert.Null(pair.Issuer.Log.Snapshot()[^1].PinCheck);
    }

    [Theory]
    [InlineData("51")]
    [InlineData("61")]
    public async Task Amounts_above_the_threshold_get_the_configured_code_and_amounts_up_to_it_are_approved(string code)
    {
        await using var pair = await SimPair.StartAsync(new IssuerRules { ApproveUpToMinor = 5000, AboveLimitCode = code });
        var pos = pair.Terminal();
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(5000), Timeouts.Token())).ResponseCode);
        Assert.Equal(code, (await pos.SendAsync(SimPair.Purchase(5001), Timeouts.Token())).ResponseCode);
    }

    [Fact]
    public async Task A_PAN_on_the_decline_list_gets_05_and_one_on_the_lost_list_41()
    {
        string other = DemoDataSet.Card('A').Pan;
        await using var pair = await SimPair.StartAsync(new IssuerRules { DeclinePans = [SimPair.RemotePan], LostPans = [other] });
        var pos = pair.Terminal();
        Assert.Equal("05", (await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token())).ResponseCode);
        var lost = SimPair.Purchase(100, card: 'A');
        lost.NoPin = true;
        Assert.Equal("41", (await pos.SendAsync(lost, Timeouts.Token())).ResponseCode);
    }

    [Fact]
    public async Task The_response_code_table_answers_by_amount_ending_and_by_processing_code()
    {
        var rules = new IssuerRules
        {
            ResponseCodes =
            [
                new ResponseCodeRule { AmountEndsWith = "13", Code = "13" },
                new ResponseCodeRule { ProcessingCode = "01", Code = "57" },
                new ResponseCodeRule { AmountMinor = 4200, Code = "62" },
            ],
        };
        await using var pair = await SimPair.StartAsync(rules);
        var pos = pair.Terminal();
        Assert.Equal("13", (await pos.SendAsync(SimPair.Purchase(1013), Timeouts.Token())).ResponseCode);
        Assert.Equal("57", (await pos.SendAsync(SimPair.Purchase(1000, "01"), Timeouts.Token())).ResponseCode);
        Assert.Equal("62", (await pos.SendAsync(SimPair.Purchase(4200), Timeouts.Token())).ResponseCode);
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(4201), Timeouts.Token())).ResponseCode);
    }

    [Fact]
    public async Task A_seeded_random_decline_rate_gives_the_same_answers_on_every_run()
    {
        async Task<string> RunAsync()
        {
            await using var pair = await SimPair.StartAsync(new IssuerRules { DeclineRate = 0.5, Seed = 1234 });
            var pos = pair.Terminal();
            var codes = new List<string>();
            for (int i = 0; i < 20; i++) codes.Add((await pos.SendAsync(SimPair.Purchase(100 + i), Timeouts.Token())).ResponseCode!);
            return string.Join(",", codes);
        }
        string first = await RunAsync();
        Assert.Equal(first, await RunAsync());
        Assert.Contains("05", first, StringComparison.Ordinal);
        Assert.Contains("00", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_balance_inquiry_is_answered_with_the_available_balance_in_DE54()
    {
        await using var pair = await SimPair.StartAsync(new IssuerRules { BalanceMinor = 123456 });
        var x = await pair.Terminal().SendAsync(SimPair.Purchase(0, "31"), Timeouts.Token());
        Assert.Equal("00", x.ResponseCode);
        Assert.Equal("0002840C000000123456", x.Answer!.GetString(54));
    }

    [Fact]
    public async Task Sign_on_and_echo_are_answered_0810_00_with_DE11_and_DE70()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        foreach (string code in (string[])["001", "301", "002"])
        {
            var m = pos.Spec.NewMessage("0800").Set(7, "1204101010").Set(11, "000777").Set(41, "TERM0002").Set(70, code);
            var x = await pos.ExchangeAsync("network management", m, Timeouts.Token());
            Assert.Equal("0810", x.Answer!.Mti);
            Assert.Equal("00", x.ResponseCode);
            Assert.Equal("000777", x.Answer.GetString(11));
            Assert.Equal(code, x.Answer.GetString(70));
        }
    }

    [Fact]
    public async Task Rules_replaced_while_running_take_effect_on_the_next_request()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(9000), Timeouts.Token())).ResponseCode);
        await pair.Issuer.UseRulesAsync(new IssuerRules { ApproveUpToMinor = 100 }, Timeouts.Token());
        Assert.Equal("51", (await pos.SendAsync(SimPair.Purchase(9000), Timeouts.Token())).ResponseCode);
    }
}

/// <summary>The wire options: another spec, another framing, a TPDU header.</summary>
public sealed class SimulatorWireOptionTests
{
    [Theory]
    [InlineData("iso8583-1987-ascii", "ascii4", "none")]
    [InlineData("iso8583-1987-binary", "binary2", "tpdu")]
    [InlineData("iso8583-1987-binary", "bcd2", "none")]
    public async Task Issuer_and_terminal_agree_on_other_specs_framings_and_a_TPDU(string spec, string framing, string header)
    {
        await using var issuer = new IssuerSimulator(new IssuerSimulatorOptions { Port = 0, Spec = spec, Framing = framing, Header = header });
        await issuer.StartAsync(Timeouts.Token());
        await using var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = issuer.Port, Spec = spec, Framing = framing, Header = header, TerminalId = "TERM0001", PinKey = DemoKeys.IssuerZpkName,
        });
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.True(x.Answered, x.Error);
        Assert.Equal("00", x.ResponseCode);
        Assert.Equal("verified", issuer.Log.Snapshot()[^1].PinCheck);
    }

    [Fact]
    public void Unknown_specs_and_framings_are_refused_at_construction()
    {
        Assert.ThrowsAny<Exception>(() => new IssuerSimulator(new IssuerSimulatorOptions { Spec = "no-such-spec" }));
        Assert.Throws<ArgumentException>(() => new IssuerSimulator(new IssuerSimulatorOptions { Framing = "binary3" }));
        Assert.Throws<ArgumentException>(() => new PosTerminal(new PosTerminalOptions { Header = "stx" }));
        Assert.Throws<ArgumentException>(() => new PosTerminal(new PosTerminalOptions { TerminalId = "OTHER001" }));
        Assert.Throws<IssuerRulesException>(() => new IssuerSimulator(new IssuerSimulatorOptions { Rules = new IssuerRules { DeclineRate = -1 } }));
    }
}
