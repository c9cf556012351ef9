using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>A DUKPT terminal: the PIN block under the key derived for each KSN, the KSN advancing and carried in its field.</summary>
public sealed class PosDukptTests
{
    // ANSI X9.24-1:2009 appendix A test data (public): BDK, first KSN, PIN 1234 and PAN 4012345678909.
    private const string Bdk = "0123456789ABCDEFFEDCBA9876543210";
    private const string FirstKsn = "FFFF9876543210E00001";
    private static readonly CardProfile TestCard = new("4012345678909", "3012", "101", Pin: "1234");

    private static PosTerminal Terminal(int ksnField = 62) => new(new PosTerminalOptions
    {
        Port = 1, TerminalId = "TERM0002", Bdk = Bdk, Ksn = FirstKsn, KsnField = ksnField, StanStart = 1,
    });

    [Fact]
    public async Task The_first_PIN_block_matches_the_X9_24_test_vector_and_the_KSN_travels_in_its_field()
    {
        await using var pos = Terminal();
        var m = await pos.BuildAsync(new PosTransaction { Card = TestCard, AmountMinor = 100 }, Timeouts.Token());
        Assert.Equal("1B9C1845EB993A7A", Convert.ToHexString(m.GetBinary(52).Span));
        Assert.Equal(FirstKsn, m.GetString(62));
        Assert.Equal("FFFF9876543210E00002", pos.NextKsnHex);
    }

    [Fact]
    public async Task Each_PIN_transaction_advances_the_KSN_and_changes_the_key()
    {
        await using var pos = Terminal();
        var a = await pos.BuildAsync(new PosTransaction { Card = TestCard, AmountMinor = 100 }, Timeouts.Token());
        var noPin = await pos.BuildAsync(new PosTransaction { Card = TestCard, AmountMinor = 100, NoPin = true }, Timeouts.Token());
        var b = await pos.BuildAsync(new PosTransaction { Card = TestCard, AmountMinor = 100 }, Timeouts.Token());
        Assert.False(noPin.Has(52));
        Assert.False(noPin.Has(62));
        Assert.Equal("FFFF9876543210E00002", b.GetString(62));
        Assert.NotEqual(Convert.ToHexString(a.GetBinary(52).Span), Convert.ToHexString(b.GetBinary(52).Span));
        await using var crypto = new SimCrypto();
        using var bdk = await crypto.ImportAsync(Switch.Security.Keys.KeyType.Bdk, Bdk, Timeouts.Token());
        var keys = await crypto.Module.DeriveDukptTdesAsync(bdk, Convert.FromHexString("FFFF9876543210E00002"), Timeouts.Token());
        Assert.Equal(crypto.EncipherPinBlock0(Convert.ToHexString(keys.PinKey), "1234", TestCard.Pan), b.GetBinary(52).ToArray());
    }

    [Theory]
    [InlineData(null, 62, "ksn")]
    [InlineData("FFFF98765432", 62, "ksn")]
    [InlineData(FirstKsn, null, "ksn field")]
    [InlineData(FirstKsn, 52, "ksn field")]
    public void DUKPT_options_are_checked(string? ksn, int? field, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new PosTerminal(new PosTerminalOptions { Port = 1, TerminalId = "TERM0002", Bdk = Bdk, Ksn = ksn, KsnField = field }));
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}
