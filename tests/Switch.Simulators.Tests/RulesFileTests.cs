using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>The issuer rules file and the card profile file: strict JSON, positioned and named errors, bounded reads.</summary>
public sealed class RulesFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sims-rules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        string path = Path.Combine(_dir, $"r{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_full_rules_file_loads()
    {
        var rules = IssuerRules.Load(Write("""
            {
              "zpk": "demo-zpk-issuer-sim",
              "pins": { "5413330000000027": "1234" },
              "approveUpToMinor": 50000,
              "aboveLimitCode": "61",
              "declinePans": ["5413330000000035"],
              "lostPans": ["5413330000000043"],
              "responseCodes": [ { "amountEndsWith": "13", "code": "13" }, { "processingCode": "31", "mti": "0200", "code": "57" } ],
              "declineRate": 0.25, "declineCode": "05", "seed": 42,
              "balanceMinor": 777, "delayMs": 5, "dropRate": 0.1,
              "misbehaviours": [ { "action": "late", "amountEndsWith": "91" }, { "action": "drop", "next": 2, "anyMessage": true } ]
            }
            """));
        Assert.Equal(50000, rules.ApproveUpToMinor);
        Assert.Equal("1234", rules.ExpectedPins["5413330000000027"]);
        Assert.Equal("4321", rules.ExpectedPins[SimPair.RemotePan]);
        Assert.Equal(Misbehaviour.Late, rules.Misbehaviours![0].Kind);
        Assert.Equal(3000, rules.Misbehaviours[0].EffectiveDelayMs);
        Assert.Equal(2, rules.ResponseCodes!.Count);
    }

    [Theory]
    [InlineData("{\n  \"approveUpToMinor\": 10,\n  \"seed\": ,\n}", "line 3, column")]
    [InlineData("{ \"approveUpToMinor\": 10, }", "line 1, column")]
    [InlineData("{ \"approveUpTo\": 10 }", "approveUpTo")]
    [InlineData("{ \"approveUpToMinor\": \"10\" }", "$.approveUpToMinor")]
    [InlineData("{ \"seed\": 1 } // comment", "line 1, column")]
    [InlineData("[1]", "line 1, column")]
    [InlineData("null", "must be a JSON object")]
    [InlineData("{ \"declineRate\": 1.5 }", "declineRate: must be between 0 and 1")]
    [InlineData("{ \"aboveLimitCode\": \"5\" }", "aboveLimitCode: '5' is not a two-character response code")]
    [InlineData("{ \"responseCodes\": [ { \"code\": \"00\" }, { \"amountEndsWith\": \"x\", \"code\": \"05\" } ] }", "responseCodes[1].amountEndsWith: must be 1 to 12 digits")]
    [InlineData("{ \"responseCodes\": [ { \"code\": \"00\", \"colour\": 1 } ] }", "colour")]
    [InlineData("{ \"misbehaviours\": [ { \"action\": \"explode\" } ] }", "misbehaviours[0].action: 'explode' is not one of")]
    [InlineData("{ \"misbehaviours\": [ { \"action\": \"drop\", \"next\": 0 } ] }", "misbehaviours[0].next: must be at least 1")]
    [InlineData("{ \"declinePans\": [ \"12ab\" ] }", "declinePans[0]: a PAN is 12 to 19 digits")]
    [InlineData("{ \"pins\": { \"5413330000000019\": \"12\" } }", "pins.541333******0019: a PIN is 4 to 12 digits")]
    [InlineData("{ \"zpk\": \"nonsense\" }", "zpk: not a demo key name")]
    [InlineData("{ \"delayMs\": -1 }", "delayMs: must be 0 to")]
    [InlineData("{ \"seed\": 1, \"seed\": 2 }", "line 1")]
    public void A_bad_rules_file_is_refused_with_the_file_and_the_position_or_key(string json, string expected)
    {
        string path = Write(json);
        var ex = Assert.Throws<IssuerRulesException>(() => IssuerRules.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("5413330000000019", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_oversized_and_non_regular_files_are_refused_without_hanging()
    {
        Assert.Contains("nope.json", Assert.Throws<IssuerRulesException>(() => IssuerRules.Load(Path.Combine(_dir, "nope.json"))).Message, StringComparison.Ordinal);
        string big = Write("{\"seed\":1" + new string(' ', IssuerRules.FileBytesMax) + "}");
        Assert.Throws<IssuerRulesException>(() => IssuerRules.Load(big));
        Assert.Throws<IssuerRulesException>(() => IssuerRules.Load("/dev/zero"));
        Assert.Throws<IssuerRulesException>(() => IssuerRules.Load(_dir));
    }

    [Fact]
    public void A_card_profile_file_loads_and_a_bad_one_is_refused_by_name()
    {
        var card = CardProfile.Resolve(Write("""{ "pan": "5413330000000027", "expiry": "2912", "serviceCode": "201", "pin": "9999" }"""));
        Assert.Equal("5413330000000027=29122010000000000", card.Track2Data);
        Assert.Equal("9999", card.Pin);
        Assert.Contains("expiry must be YYMM", Assert.Throws<ArgumentException>(() => CardProfile.Load(Write("""{ "pan": "5413330000000027", "expiry": "29", "serviceCode": "201" }"""))).Message, StringComparison.Ordinal);
        Assert.Contains("line 1", Assert.Throws<ArgumentException>(() => CardProfile.Load(Write("""{ "pan": "5413330000000027", "colour": 1 }"""))).Message, StringComparison.Ordinal);
        Assert.Contains("A-F or R", Assert.Throws<ArgumentException>(() => CardProfile.Resolve("Z")).Message, StringComparison.Ordinal);
        Assert.Equal(SimPair.RemotePan, CardProfile.Resolve("r").Pan);
    }
}
