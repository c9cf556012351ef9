using Switch.Iso8583.Tlv;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>DE 55 with a real ARQC from the terminal, verified by the issuer simulator under the same IMK-AC.</summary>
public sealed class ChipDataTests
{
    private const string Imk = "9E15204313F7318ACB79B90BD986AD29";
    private const string OtherImk = "C8B507136D921FA12E0F3A4B8C7D6E5F";

    private static async Task<(SimPair Pair, PosTerminal Pos)> StartAsync(string issuerImk, string scheme = "emv-csk")
    {
        var pair = await SimPair.StartAsync(new IssuerRules { EmvImk = issuerImk, EmvScheme = scheme });
        var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = pair.Issuer.Port, TerminalId = "TERM0002", PinKey = DemoKeys.IssuerZpkName, EmvImk = Imk, EmvScheme = scheme, AtcStart = 41,
        });
        return (pair, pos);
    }

    [Theory]
    [InlineData("emv-csk")]
    [InlineData("visa-cvn10")]
    [InlineData("visa-cvn18")]
    public async Task A_chip_purchase_carries_an_ARQC_the_issuer_verifies(string scheme)
    {
        var (pair, pos) = await StartAsync(Imk, scheme);
        await using (pair)
        await using (pos)
        {
            var x = await pos.SendAsync(SimPair.Purchase(1234), Timeouts.Token());
            Assert.Equal("00", x.ResponseCode);
            Assert.Equal("051", x.Request.GetString(22));
            var tags = BerTlv.Parse(x.Request.GetBinary(55)).ToDictionary(n => n.Tag, n => Convert.ToHexString(n.Value.Span));
            Assert.Equal("000000001234", tags["9F02"]);
            Assert.Equal("0029", tags["9F36"]);
            Assert.Equal(16, tags["9F26"].Length);
            Assert.Equal("valid", pair.Issuer.Log.Snapshot()[^1].ArqcCheck);
            var y = await pos.SendAsync(SimPair.Purchase(1234), Timeouts.Token());
            var atc = BerTlv.Parse(y.Request.GetBinary(55)).Single(n => n.Tag == "9F36");
            Assert.Equal("002A", Convert.ToHexString(atc.Value.Span));
        }
    }

    [Fact]
    public async Task An_ARQC_under_another_IMK_is_declined_with_the_configured_code()
    {
        var (pair, pos) = await StartAsync(OtherImk);
        await using (pair)
        await using (pos)
        {
            var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
            Assert.Equal("05", x.ResponseCode);
            Assert.Equal("invalid", pair.Issuer.Log.Snapshot()[^1].ArqcCheck);
        }
    }

    [Fact]
    public async Task A_tampered_amount_tag_fails_the_ARQC_and_garbage_DE55_is_unreadable()
    {
        await using var pair = await SimPair.StartAsync(new IssuerRules { EmvImk = Imk, ArqcFailCode = "57" });
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = pair.Issuer.Port, TerminalId = "TERM0002", PinKey = DemoKeys.IssuerZpkName, EmvImk = Imk });
        var m = await pos.BuildAsync(SimPair.Purchase(1000), Timeouts.Token());
        byte[] de55 = m.GetBinary(55).ToArray();
        de55[8] ^= 0x01; // inside 9F02's value (tag 2 bytes, length 1 byte, value from offset 3)
        m.SetBinary(55, de55);
        Assert.Equal("57", (await pos.ExchangeAsync("tampered", m, Timeouts.Token())).ResponseCode);
        Assert.Equal("invalid", pair.Issuer.Log.Snapshot()[^1].ArqcCheck);
        m.SetBinary(55, [0x9F, 0x02, 0x09, 0x00]);
        m.Set(11, "000999");
        Assert.Equal("57", (await pos.ExchangeAsync("garbage", m, Timeouts.Token())).ResponseCode);
        Assert.Equal("unreadable", pair.Issuer.Log.Snapshot()[^1].ArqcCheck);
    }

    [Fact]
    public void Chip_options_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new PosTerminal(new PosTerminalOptions { TerminalId = "TERM0002", EmvImk = "zz" }));
        Assert.Throws<ArgumentException>(() => new PosTerminal(new PosTerminalOptions { TerminalId = "TERM0002", EmvImk = Imk, EmvScheme = "mastercard" }));
        Assert.Contains("emvScheme", Assert.Throws<IssuerRulesException>(() => IssuerRules.Parse("{\"emvScheme\":\"x\"}", "t")).Message, StringComparison.Ordinal);
    }
}
