using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>POS scripts: steps run in order with expected answers; bad scripts refused before anything is sent.</summary>
public sealed class PosScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sims-script-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        string path = Path.Combine(_dir, $"s{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Script = """
        { "steps": [
          { "card": "R", "amountMinor": 1000, "expect": "00" },
          { "action": "duplicate", "expect": "00" },
          { "action": "reverse-last", "partialMinor": 400, "expect": "00" },
          { "card": "R", "amountMinor": 9000, "expect": "51" },
          { "card": "R", "amountMinor": 100, "fault": "wrong-pin", "expect": "55" }
        ] }
        """;

    [Fact]
    public async Task A_script_runs_its_steps_in_order_and_checks_each_answer()
    {
        await using var pair = await SimPair.StartAsync(new IssuerRules { ApproveUpToMinor = 5000 });
        var pos = pair.Terminal();
        var seen = new List<PosExchange>();
        Assert.Null(await PosScript.Load(Write(Script)).RunAsync(pos, seen.Add, Timeouts.Token()));
        Assert.Equal(["purchase", "duplicate", "partial reversal", "purchase", "purchase"], seen.Select(x => x.Kind));
        Assert.Equal("000000000400000000000400C00000000C00000000", seen[2].Request.GetString(95));
    }

    [Fact]
    public async Task A_step_with_another_answer_stops_the_script_with_its_number()
    {
        await using var pair = await SimPair.StartAsync(new IssuerRules { ApproveUpToMinor = 10 });
        var seen = new List<PosExchange>();
        string? error = await PosScript.Load(Write(Script)).RunAsync(pair.Terminal(), seen.Add, Timeouts.Token());
        Assert.Equal("step 1 (purchase): expected DE39 00, got 51", error);
        Assert.Single(seen);
    }

    [Theory]
    [InlineData("""{ "steps": [] }""", "1 to")]
    [InlineData("""{ "steps": [ { "action": "duplicate" } ] }""", "steps[0].action: duplicate needs a send step before it")]
    [InlineData("""{ "steps": [ { "amountMinor": 5 } ] }""", "steps[0].card: a send step needs a card")]
    [InlineData("""{ "steps": [ { "card": "Q" } ] }""", "steps[0].card")]
    [InlineData("""{ "steps": [ { "card": "A", "fault": "melt" } ] }""", "steps[0].fault")]
    [InlineData("""{ "steps": [ { "card": "A", "colour": 1 } ] }""", "line 1")]
    [InlineData("{ \"steps\": [ { \"card\": \"A\" }, ] }", "line 1, column")]
    public void A_bad_script_is_refused_by_file_and_position_or_step(string json, string expected)
    {
        string path = Write(json);
        var ex = Assert.Throws<ArgumentException>(() => PosScript.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pos_verb_runs_a_script_and_exits_1_on_an_unexpected_answer()
    {
        using var issuer = await ServerProcess.StartAsync("sim", "issuer", "--port", "0", "--approve-up-to", "5000", "--quiet");
        string target = $"127.0.0.1:{issuer.Port}";
        string[] common = ["sim", "pos", "--target", target, "--terminal", "TERM0001", "--pin-key", DemoKeys.IssuerZpkName, "--json"];
        var ok = CliRunner.Run([.. common, "--script", Write(Script)]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(5, ok.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var bad = CliRunner.Run([.. common, "--script", Write("""{ "steps": [ { "card": "R", "amountMinor": 9000, "expect": "00" } ] }""")]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("error: step 1 (purchase): expected DE39 00, got 51", bad.Stderr.Trim());
        CliRunner.AssertOneLineError(CliRunner.Run([.. common, "--script", Write(Script), "--card", "A"]));
        CliRunner.AssertOneLineError(CliRunner.Run([.. common, "--script", Write("{")]));
        await issuer.StopAsync();
    }
}
