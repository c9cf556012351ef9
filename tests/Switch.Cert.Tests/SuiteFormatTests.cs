using Switch.Simulators.Cert;

namespace Switch.Cert.Tests;

/// <summary>Suite files are checked whole, strictly, with positioned errors; the CLI turns a bad suite into one error line.</summary>
public sealed class SuiteFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cert-suite-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Suite(string cases, string settings = """{ "name": "t" }""")
    {
        File.WriteAllText(Path.Combine(_dir, "suite.json"), settings);
        File.WriteAllText(Path.Combine(_dir, "10-cases.json"), cases);
        return _dir;
    }

    private string Error(string cases, string settings = """{ "name": "t" }""") =>
        Assert.Throws<SuiteException>(() => SuiteLoader.Load(Suite(cases, settings))).Message;

    [Fact]
    public void The_shipped_suite_loads_with_implied_dependencies()
    {
        var suite = SuiteLoader.Load(SuiteLoader.Resolve("switch-basic"));
        Assert.Equal("switch-basic", suite.Name);
        Assert.True(suite.Cases.Count >= 50);
        var dup = suite.Cases.Single(c => c.Id == "dup-repeat");
        Assert.Equal(SendKind.Repeat, dup.Send.Kind);
        Assert.Contains("dup-original", dup.DependsOn);
        Assert.True(suite.Cases.Single(c => c.Id == "de39-91-issuer-timeout").NeedsIssuer);
        Assert.False(suite.Cases.Single(c => c.Id == "de39-51-insufficient-funds").NeedsIssuer);
    }

    [Fact]
    public void Json_syntax_errors_name_the_file_line_and_column()
    {
        string e = Error("{ \"cases\": [\n  { \"id\": \"a\", \"send\": { \"card\": \"A\" }, }\n] }");
        Assert.StartsWith("10-cases.json: line 2, column", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_properties_are_refused_with_their_path()
    {
        string e = Error("""{ "cases": [ { "id": "a", "send": { "card": "A", "amout": 100 } } ] }""");
        Assert.Contains("10-cases.json: line 1", e, StringComparison.Ordinal);
        Assert.Contains("amout", e, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "id": "a", "send": { "card": "Z" } }""", "10-cases.json: case 'a': send.card: a demo card is A-F or R")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "de39": "5" } }""", "case 'a': expect.de39: '5' is not a two-character response code")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "de39": [] } }""", "case 'a': expect.de39: must not be an empty list")]
    [InlineData("""{ "id": "a", "send": { "repeats": "nope" } }""", "case 'a': send.repeats: 'nope' is not an earlier case")]
    [InlineData("""{ "id": "a", "send": { "card": "A", "pin": "12" } }""", "case 'a': send.pin: must be right, wrong, none or 4 to 12 digits")]
    [InlineData("""{ "id": "a", "send": { "card": "A", "mac": "maybe" } }""", "case 'a': send.mac: must be auto, on, off or bad")]
    [InlineData("""{ "id": "a", "send": { "card": "A", "fields": { "999": "x" } } }""", "case 'a': send.fields.999: '999' is not a field number")]
    [InlineData("""{ "id": "a", "send": { "card": "A", "fields": { "52": "00" } } }""", "case 'a': send.fields.52: the PIN block and the MAC are set by pin and mac")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "fields": { "38": { "regex": "(" } } } }""", "case 'a': expect.fields.38.regex: not a regular expression")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "fields": { "2": "${a.request.2}" } } }""", "field 2 is card data or a secret and cannot be referred to")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "fields": { "11": "${later.request.11}" } } }""", "case 'a': expect.fields.11: 'later' is not an earlier case")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "fields": { "11": "${oops}" } } }""", "case 'a': expect.fields.11: a '${' that is not")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expect": { "fields": { "11": { "present": true, "absent": true } } } }""", "case 'a': expect.fields.11: must be a string (equals) or an object with one of")]
    [InlineData("""{ "id": "a", "issuer": "sideways", "send": { "card": "R" } }""", "case 'a': issuer: must be \"down\", \"up\" or an object")]
    [InlineData("""{ "id": "a", "issuer": { "misbehave": "explode" }, "send": { "card": "R" } }""", "case 'a': issuer.misbehave: 'explode' is not one of")]
    [InlineData("""{ "id": "a", "issuer": { "rules": { "declineRate": 2 } }, "send": { "card": "R" } }""", "case 'a': issuer.rules: declineRate: must be between 0 and 1")]
    [InlineData("""{ "id": "a", "terminal": "TERM9999", "send": { "card": "A" } }""", "case 'a': terminal: 'TERM9999' is not a demo terminal")]
    [InlineData("""{ "id": "a", "terminal": "TERM0002", "send": { "card": "A", "mac": "on" } }""", "case 'a': send.mac: terminal TERM0002 has no MAC key")]
    [InlineData("""{ "id": "a b", "send": { "card": "A" } }""", "10-cases.json: cases[0]: id: must be 1 to 64 letters")]
    [InlineData("""{ "id": "a", "send": { "mti": "0800", "amount": 5 } }""", "case 'a': send.amount: does not apply with a message without a card")]
    [InlineData("""{ "id": "a", "send": { "card": "A" }, "expectIssuer": [ { "mti": "0420", "pinCheck": "maybe" } ] }""", "case 'a': expectIssuer[0].pinCheck: must be verified, wrong or undecipherable")]
    public void Meaning_errors_name_the_file_the_case_and_the_property(string caseJson, string expected)
    {
        string e = Error($$"""{ "cases": [ {{caseJson}} ] }""");
        Assert.Contains(expected, e, StringComparison.Ordinal);
        Assert.StartsWith("10-cases.json: ", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_ids_and_reversals_across_terminals_are_refused()
    {
        string dup = Error("""{ "cases": [ { "id": "a", "send": { "card": "A" } }, { "id": "a", "send": { "card": "A" } } ] }""");
        Assert.Contains("case 'a': id: is already the id of an earlier case", dup, StringComparison.Ordinal);
        string rev = Error("""{ "cases": [ { "id": "a", "send": { "card": "A", "amount": 1 } }, { "id": "b", "terminal": "TERM0002", "send": { "reverses": "a" } } ] }""");
        Assert.Contains("case 'b': send.reverses: 'a' ran on terminal TERM0001", rev, StringComparison.Ordinal);
    }

    [Fact]
    public void Suite_settings_are_checked()
    {
        Assert.Contains("suite.json: answerTimeoutMs: must be 100 to 120000", Error("""{ "cases": [ { "id": "a", "send": { "card": "A" } } ] }""", """{ "name": "t", "answerTimeoutMs": 5 }"""), StringComparison.Ordinal);
        Assert.Contains("suite.json: line 1", Error("""{ "cases": [] }""", """{ "nam": "t" }"""), StringComparison.Ordinal);
        Assert.Contains("10-cases.json: cases: must not be empty", Error("""{ "cases": [] }"""), StringComparison.Ordinal);
        File.Delete(Path.Combine(_dir, "suite.json"));
        Assert.Contains("suite.json: missing", Assert.Throws<SuiteException>(() => SuiteLoader.Load(_dir)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cli_reports_a_bad_suite_as_one_error_line()
    {
        Suite("""{ "cases": [ { "id": "a", "send": { "card": "A" }, "expect": { "de39": "5" } } ] }""");
        CliRunner.AssertOneLineError(CliRunner.Run(["cert", "run", _dir, "--target", "127.0.0.1:1"]));
        CliRunner.AssertOneLineError(CliRunner.Run(["cert", "run", "no-such-suite", "--target", "127.0.0.1:1"]));
        CliRunner.AssertOneLineError(CliRunner.Run(["cert", "run", "switch-basic", "--target", "nowhere"]));
        CliRunner.AssertOneLineError(CliRunner.Run(["cert", "run", "switch-basic", "--target", "127.0.0.1:1", "--junit", "/no/such/dir/x.xml"]));
        var list = CliRunner.Run(["cert", "list"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("switch-basic", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_cvv_changes_only_the_cvv_digits()
    {
        Assert.Equal("4761730000000011=3012101100468290000000", CertRunner.WrongCvv("4761730000000011=3012101100467180000000"));
        Assert.Throws<CaseException>(() => CertRunner.WrongCvv("5413330000000019=3012"));
    }

    [Fact]
    public void Available_balance_is_read_from_de54()
    {
        Assert.Equal(100000, Expectations.Available("0002840C000000100000"));
        Assert.Equal(-500, Expectations.Available("0001840C0000000099990002840D000000000500"));
        Assert.Null(Expectations.Available("0001840C000000009999"));
        Assert.Null(Expectations.Available(null));
    }
}
