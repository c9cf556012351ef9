using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>ISO 20022 routes keyed by the creditor agent's BIC or clearing-system member id, next to BIN routes in one table.</summary>
public sealed class AgentRouteSelectionTests
{
    private static Route Bic(string name, string bic, string destination = "issuer-a", int priority = 100, string? ccy = null, string? failover = null) =>
        RouteRules.CreateAgent(name, RouteKeyKind.Bic, bic, destination, priority, failover, ccy);

    private static Route Member(string name, string id, string destination = "issuer-a", int priority = 100) =>
        RouteRules.CreateAgent(name, RouteKeyKind.MemberId, id, destination, priority);

    [Fact]
    public void An_eleven_character_bic_beats_the_institution_and_a_bic_of_eight_is_its_XXX_branch()
    {
        var table = Table(Bic("inst", "DEUTDEFF", "issuer-a"), Bic("branch", "DEUTDEFF500", "issuer-b"), Bic("head", "DEUTDEFFXXX", "issuer-c"));
        Assert.Equal("branch", table.LookupAgent(new AgentRouteRequest("DEUTDEFF500", null, null))!.Name);
        Assert.Equal("inst", table.LookupAgent(new AgentRouteRequest("DEUTDEFF600", null, null))!.Name);
        Assert.Equal("head", table.LookupAgent(new AgentRouteRequest("DEUTDEFF", null, null))!.Name);
        Assert.Equal("head", table.LookupAgent(new AgentRouteRequest("DEUTDEFFXXX", null, null))!.Name);
        Assert.Null(table.LookupAgent(new AgentRouteRequest("COBADEFF", null, null)));
    }

    [Fact]
    public void Member_id_routes_are_tried_after_bic_routes_and_match_exactly()
    {
        var table = Table(Member("aba", "091000019", "issuer-b"), Bic("bic", "CHASUS33", "issuer-a"));
        Assert.Equal("aba", table.LookupAgent(new AgentRouteRequest(null, "091000019", null))!.Name);
        Assert.Equal("bic", table.LookupAgent(new AgentRouteRequest("CHASUS33", "091000019", null))!.Name);
        Assert.Null(table.LookupAgent(new AgentRouteRequest(null, "09100001", null)));
    }

    [Fact]
    public void Priority_then_name_decides_within_a_key_and_a_currency_condition_must_hold()
    {
        var table = Table(Bic("b-usd", "CHASUS33", "issuer-a", priority: 10, ccy: "840"), Bic("a-any", "CHASUS33", "issuer-b", priority: 20), Bic("c-any", "CHASUS33", "issuer-c", priority: 20));
        Assert.Equal("b-usd", table.LookupAgent(new AgentRouteRequest("CHASUS33", null, "840"))!.Name);
        Assert.Equal("a-any", table.LookupAgent(new AgentRouteRequest("CHASUS33", null, "978"))!.Name);
        var explained = table.ExplainAgent(new AgentRouteRequest("CHASUS33", null, "978"));
        Assert.Equal(["b-usd", "a-any", "c-any"], explained.Candidates.Select(c => c.Route.Name));
        Assert.Equal("currency 840 required, request is 978", explained.Candidates[0].Reason);
        Assert.Equal("same key and priority 20 as a-any, which comes first by name", explained.Candidates[2].Reason);
    }

    [Fact]
    public void Explain_says_a_less_specific_key_lost()
    {
        var table = Table(Bic("inst", "DEUTDEFF"), Bic("branch", "DEUTDEFF500", "issuer-b"), Member("mm", "DE500", "issuer-c"));
        var e = table.ExplainAgent(new AgentRouteRequest("DEUTDEFF500", "DE500", null));
        Assert.Equal("branch", e.Matched!.Name);
        Assert.Equal(["branch", "inst", "mm"], e.Candidates.Select(c => c.Route.Name));
        Assert.StartsWith("matched: the most specific key (BIC DEUTDEFF500)", e.Candidates[0].Reason, StringComparison.Ordinal);
        Assert.Equal("less specific key (BIC DEUTDEFF) than the matched route branch (BIC DEUTDEFF500)", e.Candidates[1].Reason);
        Assert.Equal("less specific key (member id DE500) than the matched route branch (BIC DEUTDEFF500)", e.Candidates[2].Reason);
    }

    [Fact]
    public void Bin_look_ups_never_see_agent_routes_and_agent_look_ups_never_see_bin_routes()
    {
        var table = Table(R("visa", "411111", "issuer-a"), Bic("bic", "DEUTDEFF", "issuer-b"), Member("digits", "411111", "issuer-c"));
        Assert.Equal("visa", Find(table, "4111112233445566")!.Name);
        Assert.Equal("visa", table.Explain(new RouteRequest("4111112233445566", MtiClass.Authorization, "000000", "978")).Candidates.Single().Route.Name);
        Assert.Equal("digits", table.LookupAgent(new AgentRouteRequest(null, "411111", null))!.Name);
        Assert.Equal(3, table.Routes.Count);
        Assert.Empty(table.OverlapWarnings(Member("digits2", "411112")));
        Assert.DoesNotContain(table.OverlapWarnings(R("visa2", "411111", "issuer-b", priority: 5)), w => w.Contains("digits", StringComparison.Ordinal));
    }

    [Fact]
    public void Overlaps_between_agent_routes_are_warned_about()
    {
        var table = Table(Bic("inst", "DEUTDEFF"), Member("m", "123"));
        Assert.Equal("overlaps route inst (BIC DEUTDEFF): branch DEUTDEFF500 now goes to issuer-b instead of issuer-a (the 11-character BIC wins)",
            Assert.Single(table.OverlapWarnings(Bic("branch", "DEUTDEFF500", "issuer-b"))));
        Assert.Equal("overlaps route inst: same BIC DEUTDEFF and priority 100; the tie goes to inst by name", Assert.Single(table.OverlapWarnings(Bic("other", "DEUTDEFF"))));
        Assert.Equal("overlaps route m: same member id 123; priority decides (m2 5, m 100)", Assert.Single(table.OverlapWarnings(Member("m2", "123", priority: 5))));
        Assert.DoesNotContain(table.OverlapWarnings(Bic("usd-only", "DEUTDEFF", ccy: "840")), w => w.Contains("member", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("DEUTDEF", "--bic: 'DEUTDEF' has 7 characters; a BIC has 8 or 11")]
    [InlineData("deutdeff", "--bic: character 1 of 'deutdeff' is not an upper-case letter (institution and country are letters)")]
    [InlineData("DEUT1EFF", "--bic: character 5 of 'DEUT1EFF' is not an upper-case letter (institution and country are letters)")]
    [InlineData("DEUTDEF-", "--bic: character 8 of 'DEUTDEF-' is not an upper-case letter or digit")]
    [InlineData("", "--bic: is empty; expected a BIC of 8 or 11 characters (e.g. DEUTDEFF or DEUTDEFF500)")]
    public void Bad_bics_are_refused_naming_the_option(string bic, string message) =>
        Assert.Equal(message, Assert.Throws<RoutingException>(() => RouteRules.CreateAgent("x", RouteKeyKind.Bic, bic, "issuer-a")).Message);

    [Theory]
    [InlineData("", "--member-id: is empty; expected 1 to 35 letters or digits")]
    [InlineData("0910 00019", "--member-id: character 5 of '0910 00019' is not a letter or digit")]
    [InlineData("123456789012345678901234567890123456", "--member-id: has 36 characters; at most 35")]
    public void Bad_member_ids_are_refused_naming_the_option(string id, string message) =>
        Assert.Equal(message, Assert.Throws<RoutingException>(() => RouteRules.CreateAgent("x", RouteKeyKind.MemberId, id, "issuer-a")).Message);

    [Fact]
    public void A_patch_changes_the_key_and_refuses_bin_conditions_on_an_agent_route()
    {
        Route bin = R("r", "411111", "issuer-a", mti: MtiClass.Authorization);
        Assert.Equal("--mti-class: applies to BIN routes only; give --mti-class none", Assert.Throws<RoutingException>(() => new RoutePatch(Bic: "DEUTDEFF").ApplyTo(bin)).Message);
        Route agent = new RoutePatch(Bic: "DEUTDEFF", MtiClass: RoutePatch.None).ApplyTo(bin);
        Assert.Equal((RouteKeyKind.Bic, "DEUTDEFF", ""), (agent.KeyKind, agent.Key, agent.BinPrefix));
        Route back = new RoutePatch(Bin: "522222").ApplyTo(agent);
        Assert.Equal((RouteKeyKind.Bin, "522222", (string?)null), (back.KeyKind, back.BinPrefix, back.Bic));
        Assert.Equal("--bin, --bic, --member-id: give one route key, not several", Assert.Throws<RoutingException>(() => new RoutePatch(Bin: "522222", MemberId: "1").ApplyTo(agent)).Message);
        Assert.Equal("issuer-b", new RoutePatch(Destination: "issuer-b").ApplyTo(agent).Destination);
    }

    [Fact]
    public void The_json_of_a_bin_route_is_unchanged_and_an_agent_route_adds_its_key()
    {
        Assert.Equal(["name", "bin", "destination", "priority", "failover", "mti_class", "processing_code", "currency"],
            Switch.Routing.Postgres.RouteJson.ToDictionary(R("r", "411111")).Keys);
        var agent = Switch.Routing.Postgres.RouteJson.ToDictionary(Member("m", "091000019"));
        Assert.Null(agent["bin"]);
        Assert.Null(agent["bic"]);
        Assert.Equal("091000019", agent["member_id"]);
    }
}
