using Switch.Core.MasterData;
using Switch.Routing;

namespace Switch.Core.Tests.MasterData;

/// <summary>The load generator's card numbers: computed from an index, Luhn-valid, distinct, never one of A–F.</summary>
public sealed class GeneratedCardsTests
{
    [Fact]
    public void Every_generated_PAN_has_16_digits_the_on_us_BIN_and_a_valid_Luhn_digit()
    {
        foreach (int i in new[] { 0, 1, 9, 10, 12345, 999_999 })
        {
            string pan = GeneratedCards.Pan(i);
            Assert.Equal(16, pan.Length);
            Assert.StartsWith(DemoDataSet.All.OnUsBin, pan, StringComparison.Ordinal);
            Assert.True(RouteRules.LuhnValid(pan), $"generated card {i}");
        }
    }

    [Fact]
    public void The_Luhn_digit_agrees_with_the_demo_cards()
    {
        foreach (DemoCard card in DemoDataSet.Cards)
            Assert.Equal(card.Pan[^1], GeneratedCards.LuhnDigit(card.Pan.AsSpan(0, card.Pan.Length - 1)));
    }

    [Fact]
    public void Generated_PANs_are_distinct_and_never_a_demo_card()
    {
        var pans = Enumerable.Range(0, 20_000).Select(GeneratedCards.Pan).ToHashSet();
        Assert.Equal(20_000, pans.Count);
        Assert.DoesNotContain(pans, p => DemoDataSet.Cards.Any(c => c.Pan == p));
        Assert.Equal(GeneratedCards.Pan(42), GeneratedCards.Pan(42));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(GeneratedCards.CountMax)]
    public void An_index_out_of_range_is_refused(int index) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneratedCards.Pan(index));

    [Fact]
    public void A_non_digit_body_is_refused_by_the_Luhn_digit() =>
        Assert.Throws<ArgumentException>(() => GeneratedCards.LuhnDigit("47617a"));
}
