using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Core.MasterData;
using Switch.Simulators.Load;

namespace Switch.Simulators.Tests.Load;

/// <summary>A real `switch run` on the demo data set plus 200 generated cards (`db seed demo --cards 200`).</summary>
public sealed class SwitchWithGeneratedCards : SwitchProcess
{
    public const int Cards = 200;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var seed = CliRunner.Run(["db", "seed", "demo", "--cards", Cards.ToString(System.Globalization.CultureInfo.InvariantCulture), "--config", ConfigPath], timeoutMs: 180_000);
        Assert.True(seed.ExitCode == 0, $"db seed demo --cards failed: {seed}");
        // A restart loads the master data with the new cards for certain (rather than waiting for the reload).
        await RestartAsync();
    }
}

/// <summary>The load generator against a real switch: PIN and MAC accepted, approvals as 00, counts that add up, reports without card data.</summary>
[Trait("Category", "EndToEnd")]
public sealed class LoadSwitchTests(SwitchWithGeneratedCards sw) : IClassFixture<SwitchWithGeneratedCards>
{
    private LoadOptions Options(LoadMode mode, string mix = "purchase=70,withdrawal=10,inquiry=10,reversal=10") => new()
    {
        Port = sw.TerminalPort, Mode = mode, Tps = 300, Connections = 4, InFlight = 8, Duration = TimeSpan.FromSeconds(3),
        Cards = SwitchWithGeneratedCards.Cards, Mix = LoadMix.Parse(mix), TimeoutMs = 15_000,
    };

    private static void AssertCountsAddUp(LoadReport r)
    {
        Assert.True(r.Sent > 0, "nothing was sent");
        Assert.Equal(r.Sent, r.Answered + r.Errors + r.Timeouts);
        Assert.Equal(r.Answered, r.ResponseCodes.Values.Sum());
        Assert.Equal(r.Answered, r.HistogramCount);
        Assert.Equal(0, r.Errors);
        Assert.Equal(0, r.Timeouts);
    }

    [Fact]
    public async Task A_closed_loop_of_MACed_purchases_on_generated_cards_is_approved()
    {
        var r = await LoadRunner.RunAsync(Options(LoadMode.Closed, "purchase=100"), null, Timeouts.Token(120));
        AssertCountsAddUp(r);
        Assert.True(r.Answered == r.ResponseCodes.GetValueOrDefault("00"), $"codes: {string.Join(",", r.ResponseCodes)}"); // PIN, MAC and funds all good: every one 00
    }

    [Fact]
    public async Task An_open_loop_of_the_default_mix_reverses_approved_transactions_of_the_run()
    {
        var r = await LoadRunner.RunAsync(Options(LoadMode.Open), null, Timeouts.Token(120));
        AssertCountsAddUp(r);
        Assert.Equal(900, r.Sent + r.Unsent);
        Assert.True(r.SentByKind["reversal"] > 0, "no reversal was sent");
        Assert.True(r.SentByKind["inquiry"] > 0 && r.SentByKind["withdrawal"] > 0);
        Assert.True(r.ResponseCodes.GetValueOrDefault("00") > r.Answered * 8 / 10, $"codes: {string.Join(",", r.ResponseCodes)}");
    }

    [Fact]
    public async Task Terminal_TERM0002_without_a_MAC_on_the_demo_cards_gets_answers_for_all()
    {
        var options = Options(LoadMode.Closed) with { TerminalId = "TERM0002", Cards = 0, Duration = TimeSpan.FromSeconds(2) };
        var r = await LoadRunner.RunAsync(options, null, Timeouts.Token(120));
        AssertCountsAddUp(r);
        Assert.True(r.ResponseCodes.GetValueOrDefault("00") > 0, $"codes: {string.Join(",", r.ResponseCodes)}");
    }

    [Fact]
    public void The_verb_prints_the_table_and_writes_JSON_and_HTML_without_a_full_PAN()
    {
        string dir = Directory.CreateTempSubdirectory("load-cli-").FullName;
        try
        {
            string json = Path.Combine(dir, "load.json"), html = Path.Combine(dir, "load.html");
            var r = CliRunner.Run(["sim", "load", "--target", $"127.0.0.1:{sw.TerminalPort}", "--tps", "200", "--duration", "2", "--connections", "2",
                "--cards", "200", "--json", json, "--html", html, "--timeout-ms", "15000"], timeoutMs: 90_000);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("throughput/s", r.Stdout, StringComparison.Ordinal);
            Assert.Matches("target [0-9]+ s: [0-9]+ tps, sent [0-9]+, answered [0-9]+, errors 0, timeouts 0, p99 [0-9.]+ ms", r.Stderr);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            foreach (var field in new[] { "sent", "answered", "errors", "throughputPerSecond", "p50Ms", "p90Ms", "p99Ms", "p999Ms", "maxMs", "responseCodes", "timeouts", "durationSeconds", "mode" })
                Assert.True(root.TryGetProperty(field, out _), $"no {field}");
            long answered = root.GetProperty("answered").GetInt64();
            Assert.Equal(root.GetProperty("sent").GetInt64(), answered + root.GetProperty("errors").GetInt64() + root.GetProperty("timeouts").GetInt64());
            Assert.Equal(answered, root.GetProperty("responseCodes").EnumerateObject().Sum(p => p.Value.GetInt64()));
            Assert.True(root.GetProperty("responseCodes").GetProperty("00").GetInt64() > 0);
            Assert.Equal("open", root.GetProperty("mode").GetString());
            string page = File.ReadAllText(html);
            Assert.Contains("<svg", page, StringComparison.Ordinal);
            Assert.DoesNotMatch(new Regex("(src|href)\\s*=|https?:|@import|url\\(", RegexOptions.IgnoreCase), page);
            foreach (string text in new[] { r.Stdout, r.Stderr, File.ReadAllText(json), page })
            {
                Assert.DoesNotMatch("[0-9]{13,19}", text);
                Assert.DoesNotContain(GeneratedCards.Pan(0)[..10], text, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
