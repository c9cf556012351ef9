using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>What <c>routes test</c> tells the operator: the matched route and why each other candidate lost.</summary>
public sealed class RouteExplanationTests
{
    private const string Pan = "4111112233445566";

    [Fact]
    public void Every_candidate_is_listed_in_the_order_tried_with_why_it_lost()
    {
        var table = Table(
            R("eight-reversals", "41111122", "issuer-c", mti: MtiClass.Reversal),
            R("eight", "41111122", "issuer-b", priority: 10, failover: "stand-in"),
            R("eight-later", "41111122", "issuer-c", priority: 20),
            R("eight-tie", "41111122", "issuer-c", priority: 10),
            R("six", "411111", "issuer-a"),
            R("other", "510510", "issuer-a"));
        var e = table.Explain(new RouteRequest(Pan, MtiClass.Authorization, "000000", "978"));
        Assert.Equal("eight", e.Matched?.Name);
        Assert.Equal(["eight", "eight-tie", "eight-later", "eight-reversals", "six"], e.Candidates.Select(c => c.Route.Name));
        Assert.True(e.Candidates[0].Matched);
        Assert.Contains("8 digits", e.Candidates[0].Reason, StringComparison.Ordinal);
        Assert.Equal("same prefix and priority 10 as eight, which comes first by name", e.Candidates[1].Reason);
        Assert.Equal("same prefix, priority 20 comes after eight's 10", e.Candidates[2].Reason);
        Assert.Equal("mti-class 04 required, request is 01", e.Candidates[3].Reason);
        Assert.Equal("shorter prefix (6 digits) than the matched route eight (8 digits)", e.Candidates[4].Reason);
        Assert.All(e.Candidates.Skip(1), c => Assert.False(c.Matched));
    }

    [Fact]
    public void Failed_conditions_name_what_was_required_and_what_the_request_had()
    {
        var table = Table(R("pc", "411111", priority: 1, pc: "01"), R("ccy", "411111", priority: 2, ccy: "840"), R("mti", "411111", priority: 3, mti: MtiClass.Financial));
        var e = table.Explain(new RouteRequest(Pan, null, "", "978"));
        Assert.Null(e.Matched);
        Assert.Equal(["processing code 01 required, request is not given", "currency 840 required, request is 978", "mti-class 02 required, request is not given"],
            e.Candidates.Select(c => c.Reason));
    }

    [Fact]
    public void The_explanation_agrees_with_the_look_up()
    {
        var table = Table(R("a", "411111", mti: MtiClass.Financial), R("b", "4111112", priority: 5, ccy: "978"), R("c", "41111122", pc: "20"));
        foreach (var (mti, pc, ccy) in new[] { (MtiClass.Financial, "200000", "978"), (MtiClass.Financial, "000000", "840"), (MtiClass.Authorization, "000000", "840") })
        {
            var request = new RouteRequest(Pan, mti, pc, ccy);
            Assert.Same(table.Lookup(request), table.Explain(request).Matched);
        }
    }
}
