using System.Text.Json;

namespace Switch.Routing.Tests;

/// <summary>
/// Every <c>switch routes</c> verb through the real executable against real Postgres: the contract other tools drive
/// (JSON out, exit 1 with one <c>error:</c> line on bad input), and no full PAN in any output.
/// </summary>
public sealed class RoutesCliTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    // Test PANs (public test numbers), never real cards.
    private const string Pan = "4111112233445566";

    private readonly string _dir = Directory.CreateTempSubdirectory("routing-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string? connectionString = null, string extra = "")
    {
        string connectors = """[ { "name": "issuer-a" }, { "name": "issuer-b" } ]""";
        string network = $"\"network\": {{ \"connectors\": {connectors} }}";
        string path = Path.Combine(_dir, $"switch-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            { {{network}}, {{extra}}
              "postgres": { "connectionString": {{JsonSerializer.Serialize(connectionString ?? db.ConnectionString)}} } }
            """);
        return path;
    }

    private static JsonElement Json(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>A change that may carry overlap warnings: exit 0, JSON on stdout, only "warning:" lines on stderr.</summary>
    private static JsonElement AssertChanged(CliRunner.Result r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("warning: ", l, StringComparison.Ordinal));
        return Json(r.Stdout);
    }

    [Fact]
    public async Task Add_update_remove_print_the_change_as_json_and_write_audit_rows()
    {
        string config = Config();
        var added = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "add", "--name", "cli-visa", "--bin", "412222", "--destination", "issuer-a",
            "--priority", "20", "--failover", "stand-in", "--mti-class", "01", "--processing-code", "00", "--currency", "978", "--operator", "alice", "--config", config)));
        Assert.Equal("add", added.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, added.GetProperty("before").ValueKind);
        var after = added.GetProperty("after");
        Assert.Equal("412222", after.GetProperty("bin").GetString());
        Assert.Equal(20, after.GetProperty("priority").GetInt32());
        Assert.Equal("stand-in", after.GetProperty("failover").GetString());
        Assert.Equal("01", after.GetProperty("mti_class").GetString());
        Assert.Equal("00", after.GetProperty("processing_code").GetString());
        Assert.Equal("978", after.GetProperty("currency").GetString());

        var updated = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "update", "--name", "cli-visa", "--destination", "issuer-b",
            "--mti-class", "none", "--operator", "bob", "--config", config)));
        Assert.Equal("issuer-a", updated.GetProperty("before").GetProperty("destination").GetString());
        Assert.Equal("issuer-b", updated.GetProperty("after").GetProperty("destination").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("after").GetProperty("mti_class").ValueKind);
        Assert.Equal("978", updated.GetProperty("after").GetProperty("currency").GetString());

        var removed = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "remove", "--name", "cli-visa", "--operator", "carol", "--config", config)));
        Assert.Equal(JsonValueKind.Null, removed.GetProperty("after").ValueKind);
        Assert.True(removed.GetProperty("version").GetInt64() > updated.GetProperty("version").GetInt64());

        Assert.Equal("add:alice update:bob remove:carol", await db.ScalarAsync<string>(
            "SELECT string_agg(action || ':' || operator, ' ' ORDER BY id) FROM route_audit WHERE route_name = 'cli-visa'"));
        Assert.Equal("issuer-a>issuer-b", await db.ScalarAsync<string>(
            "SELECT (before->>'destination') || '>' || (after->>'destination') FROM route_audit WHERE route_name = 'cli-visa' AND action = 'update'"));
    }

    [Fact]
    public void An_overlapping_add_succeeds_with_a_warning_line_on_stderr()
    {
        string config = Config();
        CliRunner.AssertSuccess(CliRunner.Run("routes", "add", "--name", "wide-45", "--bin", "450000", "--destination", "issuer-a", "--config", config));
        var r = CliRunner.Run("routes", "add", "--name", "narrow-45", "--bin", "45000012", "--destination", "on-us", "--config", config);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("warning: overlaps route wide-45 (BIN 450000): PANs starting 45000012 now go to on-us instead of issuer-a (longer prefix wins)", r.Stderr.Trim());
        Assert.Single(Json(r.Stdout).GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public void List_prints_a_table_or_json_with_who_changed_each_route()
    {
        string config = Config();
        CliRunner.AssertSuccess(CliRunner.Run("routes", "add", "--name", "listed", "--bin", "46000011", "--destination", "issuer-b", "--priority", "5", "--currency", "840", "--operator", "dora", "--config", config));
        string table = CliRunner.AssertSuccess(CliRunner.Run("routes", "list", "--config", config));
        string[] lines = table.Split('\n');
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        string row = Assert.Single(lines, l => l.StartsWith("listed ", StringComparison.Ordinal));
        Assert.Matches(@"^listed\s+46000011\s+issuer-b\s+5\s+-\s+-\s+-\s+840\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ by dora$", row);
        var json = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "list", "--json", "--config", config)));
        var entry = json.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "listed");
        Assert.Equal("dora", entry.GetProperty("updated_by").GetString());
        Assert.Equal("840", entry.GetProperty("currency").GetString());
    }

    [Fact]
    public void Test_explains_the_route_with_the_pan_masked()
    {
        string config = Config();
        AssertChanged(CliRunner.Run("routes", "add", "--name", "t-six", "--bin", "411111", "--destination", "issuer-a", "--config", config));
        AssertChanged(CliRunner.Run("routes", "add", "--name", "t-auth", "--bin", "41111122", "--destination", "issuer-b", "--failover", "stand-in", "--mti-class", "01", "--config", config));
        var text = CliRunner.Run("routes", "test", Pan, "--mti", "0200", "--amount", "1500", "--processing-code", "000000", "--config", config);
        string output = CliRunner.AssertSuccess(text);
        Assert.DoesNotContain(Pan, output, StringComparison.Ordinal);
        Assert.Contains("PAN:        411111******5566 (fails the Luhn check)", output, StringComparison.Ordinal);
        Assert.Contains("route:      t-six (BIN 411111, priority 100)", output, StringComparison.Ordinal);
        Assert.Contains("destination: issuer-a", output, StringComparison.Ordinal);
        Assert.Matches(@"- t-auth\s+BIN 41111122\s+priority 100\s+issuer-b\s+mti-class 01 required, request is 02", output);

        var json = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "test", Pan, "--mti", "0100", "--json", "--config", config)));
        Assert.Equal("411111******5566", json.GetProperty("pan").GetString());
        Assert.Equal("t-auth", json.GetProperty("route").GetProperty("name").GetString());
        Assert.Equal("issuer-b", json.GetProperty("destination").GetString());
        Assert.Equal("stand-in", json.GetProperty("failover").GetString());
        var candidates = json.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(["t-auth", "t-six"], candidates.Select(c => c.GetProperty("route").GetProperty("name").GetString()));
        Assert.Equal("shorter prefix (6 digits) than the matched route t-auth (8 digits)", candidates[1].GetProperty("reason").GetString());
        Assert.DoesNotContain(Pan, json.GetRawText(), StringComparison.Ordinal);

        var none = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "test", "6011000990139424", "--json", "--config", config)));
        Assert.Equal(JsonValueKind.Null, none.GetProperty("route").ValueKind);
        Assert.True(none.GetProperty("luhn_valid").GetBoolean());
    }

    [Theory]
    [InlineData("--bin 41111 --destination issuer-a", "error: --bin: has 5 digits; expected 6 to 11")]
    [InlineData("--bin 411111 --destination amex", "error: --destination: unknown destination 'amex'; known: issuer-a, issuer-b, on-us, stand-in")]
    [InlineData("--bin 411111 --destination issuer-a --failover nowhere", "error: --failover: unknown destination 'nowhere'; known: issuer-a, issuer-b, on-us, stand-in")]
    [InlineData("--bin 411111 --destination issuer-a --priority 0", "error: --priority: is 0; expected 1 (first) to 999")]
    [InlineData("--bin 411111 --destination issuer-a --currency EUR", "error: --currency: 'EUR' is not an ISO 4217 numeric code (3 digits, e.g. 978)")]
    [InlineData("--bin 411111 --destination issuer-a --processing-code 0000", "error: --processing-code: '0000' is not 2 or 6 digits (2 match DE3's transaction type, 6 all of DE3)")]
    [InlineData("--bin 411111 --destination issuer-a --mti-class 08", "error: --mti-class: '08' is not 01 (authorization), 02 (financial) or 04 (reversal)")]
    public async Task Add_refuses_bad_input_with_one_error_line(string options, string expected)
    {
        var (dataSource, _) = await db.OpenStoreAsync(); // the audit table exists even when the refusal comes first
        await dataSource.DisposeAsync();
        string config = Config();
        var args = new List<string> { "routes", "add", "--name", "refused" };
        args.AddRange(options.Split(' '));
        args.AddRange(["--config", config]);
        Assert.Equal(expected, CliRunner.AssertOneLineError(CliRunner.Run([.. args])));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM route_audit WHERE route_name = 'refused'"));
    }

    [Fact]
    public void Other_bad_input_is_one_error_line_too()
    {
        string config = Config();
        string Err(params string[] args) => CliRunner.AssertOneLineError(CliRunner.Run([.. args, "--config", config]));
        Assert.Equal("error: --name: character 4 of 'bad name' is not a letter, digit, '.', '-' or '_'",
            Err("routes", "add", "--name", "bad name", "--bin", "411111", "--destination", "on-us"));
        Assert.StartsWith("error: ", Err("routes", "add", "--bin", "411111", "--destination", "on-us"));
        Assert.Equal("error: --priority: 'high' is not a number; expected 1 (first) to 999", Err("routes", "add", "--name", "p", "--bin", "411111", "--destination", "on-us", "--priority", "high"));
        Assert.Equal("error: --priority: is 1000; expected 1 (first) to 999", Err("routes", "update", "--name", "p", "--priority", "1000"));
        Assert.Equal("error: routes update: give at least one of --bin, --destination, --priority, --failover, --mti-class, --processing-code, --currency", Err("routes", "update", "--name", "x"));
        Assert.Equal("error: no route named 'ghost'", Err("routes", "remove", "--name", "ghost"));
        Assert.Equal("error: no route named 'ghost'", Err("routes", "update", "--name", "ghost", "--priority", "3"));
        string badPan = Err("routes", "test", "41111122334455667788");
        Assert.Equal("error: PAN: has 20 digits; expected 12 to 19", badPan);
        Assert.Equal("error: PAN: character 7 is not a digit; expected 12 to 19 digits", Err("routes", "test", "411111-233445566"));
        Assert.Equal("error: --mti: '020' is not a four-digit MTI", Err("routes", "test", Pan, "--mti", "020"));
        Assert.Equal("error: --amount: '12.50' is not an amount in minor units (1 to 12 digits)", Err("routes", "test", Pan, "--amount", "12.50"));
    }

    [Fact]
    public void A_stray_second_pan_is_refused_without_printing_either()
    {
        var r = CliRunner.Run("routes", "test", Pan, "5105105105105100", "--config", Config());
        Assert.Equal("error: routes test: give exactly one PAN (got 2)", CliRunner.AssertOneLineError(r));
        Assert.Equal("error: routes test: give exactly one PAN (got 0)", CliRunner.AssertOneLineError(CliRunner.Run("routes", "test", "--config", Config())));
    }

    [Theory]
    [InlineData("add")]
    [InlineData("update")]
    [InlineData("remove")]
    [InlineData("list")]
    [InlineData("test")]
    public void Every_routes_verb_has_help(string verb)
    {
        string help = CliRunner.AssertSuccess(CliRunner.Run("routes", verb, "--help"));
        Assert.Contains($"switch routes {verb}", help, StringComparison.Ordinal);
        Assert.Contains("--config", help, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_configuration_is_one_error_line_naming_the_file_and_key()
    {
        string missing = Path.Combine(_dir, "absent.json");
        Assert.Equal($"error: {missing}: (file): no such file", CliRunner.AssertOneLineError(CliRunner.Run("routes", "list", "--config", missing)));
        string broken = Path.Combine(_dir, "broken.json");
        File.WriteAllText(broken, "{ \"postgres\": ");
        string brokenLine = CliRunner.AssertOneLineError(CliRunner.Run("routes", "list", "--config", broken));
        Assert.StartsWith($"error: {broken}: line 1, position ", brokenLine, StringComparison.Ordinal);
        Assert.Contains("is not valid JSON", brokenLine, StringComparison.Ordinal);
        string unknownKey = Config(extra: "\"routing\": { \"routesMaximum\": 5 },");
        // The file and the key are named; the wording comes from ConfigSection, whose runtime messages the CLI trims.
        Assert.StartsWith($"error: {unknownKey}: routing.routesMaximum: ", CliRunner.AssertOneLineError(CliRunner.Run("routes", "list", "--config", unknownKey)), StringComparison.Ordinal);
        string badLimit = Config(extra: "\"routing\": { \"routesMax\": 0 },");
        Assert.Equal($"error: {badLimit}: routing.routesMax: is 0; expected 1 to 10000000", CliRunner.AssertOneLineError(CliRunner.Run("routes", "list", "--config", badLimit)));
    }

    [Fact]
    public void F12_postgres_unreachable_changes_and_reads_are_refused_with_one_clear_line()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once (the shared cluster is untouched).
        string config = Config(db.ConnectionStringAt("127.0.0.1", 1));
        string add = CliRunner.AssertOneLineError(CliRunner.Run("routes", "add", "--name", "while-down", "--bin", "411111", "--destination", "on-us", "--config", config));
        Assert.Equal($"error: route change refused: Postgres at 127.0.0.1:1/{db.Name} as switch is unreachable (Connection refused); a running switch keeps routing from its in-memory table", add);
        Assert.StartsWith("error: route change refused: Postgres at 127.0.0.1:1/", CliRunner.AssertOneLineError(CliRunner.Run("routes", "remove", "--name", "x", "--config", config)), StringComparison.Ordinal);
        Assert.StartsWith("error: routes cannot be read: Postgres at 127.0.0.1:1/", CliRunner.AssertOneLineError(CliRunner.Run("routes", "list", "--config", config)), StringComparison.Ordinal);
        Assert.DoesNotContain("switch-dev-only", add, StringComparison.Ordinal);
    }
}
