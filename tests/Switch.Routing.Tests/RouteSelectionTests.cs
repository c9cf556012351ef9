using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>Which route the in-memory table picks: longest prefix, priority among equal prefixes, conditions.</summary>
public sealed class RouteSelectionTests
{
    // Test PANs only (never real cards), and never printed in full.
    private const string Pan = "4111112233445566";

    [Fact]
    public void The_longest_matching_prefix_wins_whatever_the_priorities()
    {
        var table = Table(R("six", "411111", "issuer-a", priority: 1), R("eight", "41111122", "issuer-b", priority: 999), R("eleven", "41111122334", "issuer-c", priority: 500));
        Assert.Equal("eleven", Find(table, Pan)?.Name);
        Assert.Equal("eight", Find(table, "4111112299999999")?.Name);
        Assert.Equal("six", Find(table, "4111119999999999")?.Name);
    }

    [Fact]
    public void Among_equal_prefixes_the_lowest_priority_number_wins_then_the_name()
    {
        var table = Table(R("b-second", "411111", "issuer-b", priority: 20), R("a-first", "411111", "issuer-a", priority: 10), R("c-last", "411111", "issuer-c", priority: 30));
        Assert.Equal("a-first", Find(table, Pan)?.Name);
        var tie = Table(R("zulu", "411111", "issuer-b", priority: 10), R("alpha", "411111", "issuer-a", priority: 10));
        Assert.Equal("alpha", Find(tie, Pan)?.Name);
    }

    [Fact]
    public void A_pan_no_prefix_matches_has_no_route()
    {
        var table = Table(R("visa", "411111"), R("mc", "510510"));
        Assert.Null(Find(table, "6011000990139424"));
        Assert.Null(Find(RouteTable.Empty, Pan));
    }

    [Fact]
    public void A_pan_shorter_than_a_prefix_or_with_non_digits_does_not_match_it()
    {
        var table = Table(R("long", "41111122334"), R("short", "411111"));
        Assert.Equal("short", Find(table, "4111112233")?.Name);
        Assert.Null(Find(table, "41111"));
        Assert.Null(Find(table, "41111x2233445566"));
        Assert.Equal("short", Find(table, "411111223x445566")?.Name);
    }

    [Fact]
    public void An_mti_class_condition_selects_by_message_class_and_falls_back_to_a_shorter_prefix()
    {
        var table = Table(R("auth-only", "41111122", "issuer-b", mti: MtiClass.Authorization), R("reversals", "41111122", "issuer-c", mti: MtiClass.Reversal), R("all", "411111", "issuer-a"));
        Assert.Equal("auth-only", Find(table, Pan, MtiClass.Authorization)?.Name);
        Assert.Equal("reversals", Find(table, Pan, MtiClass.Reversal)?.Name);
        Assert.Equal("all", Find(table, Pan, MtiClass.Financial)?.Name);
        Assert.Equal("all", Find(table, Pan, mti: null)?.Name);
    }

    [Fact]
    public void A_two_digit_processing_code_matches_the_transaction_type_and_six_digits_all_of_de3()
    {
        var table = Table(R("cash", "411111", "issuer-b", priority: 1, pc: "01"), R("purchase-from-savings", "411111", "issuer-c", priority: 2, pc: "001000"), R("rest", "411111", "issuer-a", priority: 3));
        Assert.Equal("cash", Find(table, Pan, pc: "011000")?.Name);
        Assert.Equal("purchase-from-savings", Find(table, Pan, pc: "001000")?.Name);
        Assert.Equal("rest", Find(table, Pan, pc: "002000")?.Name);
        Assert.Equal("rest", Find(table, Pan, pc: "")?.Name);
    }

    [Fact]
    public void A_currency_condition_matches_only_that_currency()
    {
        var table = Table(R("euro", "411111", "issuer-b", priority: 1, ccy: "978"), R("any", "411111", "issuer-a", priority: 2));
        Assert.Equal("euro", Find(table, Pan, ccy: "978")?.Name);
        Assert.Equal("any", Find(table, Pan, ccy: "840")?.Name);
        Assert.Equal("any", Find(table, Pan, ccy: "")?.Name);
    }

    [Fact]
    public void Every_condition_must_hold()
    {
        var table = Table(R("narrow", "411111", "issuer-b", priority: 1, mti: MtiClass.Financial, pc: "00", ccy: "978"), R("wide", "411111", "issuer-a", priority: 2));
        Assert.Equal("narrow", Find(table, Pan, MtiClass.Financial, "000000", "978")?.Name);
        Assert.Equal("wide", Find(table, Pan, MtiClass.Authorization, "000000", "978")?.Name);
        Assert.Equal("wide", Find(table, Pan, MtiClass.Financial, "010000", "978")?.Name);
        Assert.Equal("wide", Find(table, Pan, MtiClass.Financial, "000000", "840")?.Name);
    }

    [Fact]
    public void The_table_agrees_with_a_brute_force_reference_on_random_routes_and_pans()
    {
        var random = new Random(8583);
        string[] pcs = ["000000", "010000", "200000", "001000"];
        string[] ccys = ["978", "840", "826"];
        MtiClass?[] classes = [MtiClass.Authorization, MtiClass.Financial, MtiClass.Reversal, null];
        var routes = new List<Route>();
        for (int i = 0; i < 500; i++)
        {
            int length = random.Next(6, 12);
            string bin = "4" + Digits(random, length - 1, limit: 3);
            routes.Add(R($"r{i}", bin, "issuer-a", random.Next(1, 4),
                mti: random.Next(4) == 0 ? classes[random.Next(3)] : null,
                pc: random.Next(4) == 0 ? pcs[random.Next(pcs.Length)][..(random.Next(2) == 0 ? 2 : 6)] : null,
                ccy: random.Next(4) == 0 ? ccys[random.Next(ccys.Length)] : null));
        }
        var table = RouteTable.Build(routes, 7);
        for (int i = 0; i < 5_000; i++)
        {
            string pan = "4" + Digits(random, 15, limit: 3);
            var mti = classes[random.Next(classes.Length)];
            string pc = pcs[random.Next(pcs.Length)], ccy = ccys[random.Next(ccys.Length)];
            Assert.Same(Reference(routes, pan, mti, pc, ccy), table.Lookup(new RouteRequest(pan, mti, pc, ccy)));
        }
    }

    [Fact]
    public void A_look_up_allocates_nothing()
    {
        var routes = Enumerable.Range(0, 1_000).Select(i => R($"r{i}", (411000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), "issuer-a", mti: i % 2 == 0 ? MtiClass.Financial : null)).ToList();
        routes.Add(R("long", "41100522", "issuer-b"));
        var table = RouteTable.Build(routes, 1);
        const string pan = "4110052233445566";
        Assert.Equal("long", Find(table, pan)?.Name);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Route? found = null;
        for (int i = 0; i < 10_000; i++) found = table.Lookup(new RouteRequest(pan, MtiClass.Authorization, "000000", "978"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("long", found?.Name);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_table_refuses_two_routes_with_one_name()
    {
        var ex = Assert.Throws<RoutingException>(() => RouteTable.Build([R("twin", "411111"), R("twin", "510510")], 1));
        Assert.Contains("twin", ex.Message, StringComparison.Ordinal);
    }

    private static string Digits(Random random, int count, int limit)
    {
        var chars = new char[count];
        for (int i = 0; i < count; i++) chars[i] = (char)('0' + random.Next(limit));
        return new string(chars);
    }
}
