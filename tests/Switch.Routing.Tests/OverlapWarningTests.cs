using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>Warnings an operator gets when a route overlaps others (the change still goes through).</summary>
public sealed class OverlapWarningTests
{
    [Fact]
    public void A_longer_prefix_inside_a_shorter_one_is_warned_about_from_both_sides()
    {
        var table = Table(R("six", "411111", "issuer-a"));
        var warning = Assert.Single(table.OverlapWarnings(R("eight", "41111122", "issuer-b")));
        Assert.Equal("overlaps route six (BIN 411111): PANs starting 41111122 now go to issuer-b instead of issuer-a (longer prefix wins)", warning);
        var reverse = Assert.Single(Table(R("eight", "41111122", "issuer-b")).OverlapWarnings(R("six", "411111", "issuer-a")));
        Assert.Equal("overlaps route eight (BIN 41111122): the longer prefix keeps PANs starting 41111122 at issuer-b", reverse);
    }

    [Fact]
    public void The_same_prefix_names_priority_or_the_tie_by_name()
    {
        var table = Table(R("first", "411111", priority: 10));
        Assert.Equal("overlaps route first: same BIN prefix 411111; priority decides (second 20, first 10)", Assert.Single(table.OverlapWarnings(R("second", "411111", priority: 20))));
        Assert.Equal("overlaps route first: same BIN prefix 411111 and priority 10; the tie goes to first by name", Assert.Single(table.OverlapWarnings(R("second", "411111", priority: 10))));
    }

    [Fact]
    public void Disjoint_conditions_and_unrelated_prefixes_are_not_overlaps()
    {
        var table = Table(R("auth", "411111", mti: MtiClass.Authorization), R("usd", "411112", ccy: "840"), R("cash", "411113", pc: "01"), R("mc", "510510"));
        Assert.Empty(table.OverlapWarnings(R("reversal", "411111", mti: MtiClass.Reversal)));
        Assert.Empty(table.OverlapWarnings(R("eur", "41111299", ccy: "978")));
        Assert.Empty(table.OverlapWarnings(R("purchase", "411113", pc: "000000")));
        Assert.Single(table.OverlapWarnings(R("cash-savings", "411113", pc: "011000")));
        Assert.Empty(table.OverlapWarnings(R("amex", "371449")));
    }

    [Fact]
    public void A_route_does_not_overlap_its_own_previous_version()
    {
        var table = Table(R("same", "411111"));
        Assert.Empty(table.OverlapWarnings(R("same", "41111122", "issuer-b")));
    }
}
