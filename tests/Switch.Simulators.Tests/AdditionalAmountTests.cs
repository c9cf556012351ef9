using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>DE 54 as the ATM reads it: 20 characters per amount, positioned errors for anything else.</summary>
public sealed class AdditionalAmountTests
{
    [Fact]
    public void Two_amounts_are_read_with_their_signs()
    {
        var amounts = AdditionalAmount.ParseAll("0002840C000000100000" + "1001978D000000000250");
        Assert.Equal(2, amounts.Count);
        Assert.Equal(new AdditionalAmount("00", "02", "840", 'C', 100_000), amounts[0]);
        Assert.Equal(("savings", "ledger balance", -250L), (amounts[1].AccountTypeName, amounts[1].AmountTypeName, amounts[1].SignedMinor));
        Assert.Equal("account type 00 (default), amount type 02 (available balance), currency 840, C, 1000.00", amounts[0].ToString());
        Assert.Equal("account type 10 (savings), amount type 01 (ledger balance), currency 978, D, 2.50", amounts[1].ToString());
    }

    [Theory]
    [InlineData("", "0 characters")]
    [InlineData("0002840C00000010000", "19 characters")]
    [InlineData("0002840X000000100000", "at 7: the sign must be C or D")]
    [InlineData("0002840C000000100000" + "0002840C0000001000A0", "at 28: the amount must be 12 digits")]
    [InlineData("00A2840C000000100000", "at 0: account type")]
    public void A_malformed_DE54_names_the_position(string de54, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => AdditionalAmount.ParseAll(de54));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_six_amounts_are_refused()
    {
        var ex = Assert.Throws<FormatException>(() => AdditionalAmount.ParseAll(string.Concat(Enumerable.Repeat("0002840C000000100000", 7))));
        Assert.Contains("140 characters", ex.Message, StringComparison.Ordinal);
    }
}
