using Switch.Simulators.Load;

namespace Switch.Simulators.Tests.Load;

/// <summary>The mix syntax, the options' bounds and the verb's error lines for bad input.</summary>
public sealed class LoadOptionsTests
{
    [Fact]
    public void A_mix_gives_each_kind_its_share_of_the_100_draws()
    {
        var mix = LoadMix.Parse("purchase=70, withdrawal=10,inquiry=10,REVERSAL=10");
        Assert.Equal(70, mix.Percent(LoadKind.Purchase));
        Assert.Equal(10, mix.Percent(LoadKind.Reversal));
        var counts = Enumerable.Range(0, 100).GroupBy(mix.Pick).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(70, counts[LoadKind.Purchase]);
        Assert.Equal(10, counts[LoadKind.Withdrawal]);
        Assert.Equal(10, counts[LoadKind.Inquiry]);
        Assert.Equal(10, counts[LoadKind.Reversal]);
        Assert.Equal("purchase=70,withdrawal=10,inquiry=10,reversal=10", mix.ToString());
    }

    [Fact]
    public void A_kind_left_out_is_zero()
    {
        var mix = LoadMix.Parse("purchase=100");
        Assert.All(Enumerable.Range(0, 100), d => Assert.Equal(LoadKind.Purchase, mix.Pick(d)));
        Assert.Equal(0, mix.Percent(LoadKind.Inquiry));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("purchase=70,withdrawal=10", "sum to 80, not 100")]
    [InlineData("purchase=70,withdrawal=40", "sum to 110, not 100")]
    [InlineData("purchase=90,refund=10", "pair 2: unknown kind 'refund'")]
    [InlineData("purchase=50,purchase=50", "pair 2: purchase is given twice")]
    [InlineData("purchase", "pair 1 'purchase': expected kind=percent")]
    [InlineData("purchase=abc", "pair 1: 'abc' is not a whole percentage")]
    [InlineData("purchase=-10,inquiry=110", "pair 1: '-10' is not a whole percentage")]
    [InlineData("purchase=50.5,inquiry=49.5", "pair 1: '50.5'")]
    public void A_bad_mix_is_refused_with_the_position_and_the_reason(string text, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => LoadMix.Parse(text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 32, "connections")]
    [InlineData(2000, 32, "connections")]
    [InlineData(8, 0, "inflight")]
    [InlineData(8, 20_000, "inflight")]
    public void Options_out_of_bounds_are_refused(int connections, int inflight, string option)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadOptions { Connections = connections, InFlight = inflight }.Validate());
        Assert.StartsWith(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_loop_needs_a_rate_and_every_run_a_bounded_duration_and_timeout()
    {
        Assert.Throws<ArgumentException>(() => new LoadOptions { Mode = LoadMode.Open, Tps = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoadOptions { Duration = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new LoadOptions { TimeoutMs = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoadOptions { Cards = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoadOptions { TerminalId = "T1" }.Validate());
        new LoadOptions().Validate();
    }

    [Theory]
    [InlineData("--mix", "purchase=70,withdrawal=10", "--mix: the percentages sum to 80, not 100")]
    [InlineData("--mix", "purchase=90,refund=10", "unknown kind 'refund'")]
    [InlineData("--target", "localhost", "--target: 'localhost' is not HOST:PORT")]
    [InlineData("--target", "127.0.0.1:70000", "--target")]
    [InlineData("--tps", "0", "--tps: must be 1 to")]
    [InlineData("--connections", "0", "--connections: must be 1 to")]
    [InlineData("--inflight", "0", "--inflight: must be 1 to")]
    [InlineData("--duration", "0", "--duration")]
    [InlineData("--cards", "-5", "cards")]
    [InlineData("--terminal", "T1", "terminal")]
    [InlineData("--timeout-ms", "0", "timeout-ms")]
    [InlineData("--framing", "binary9", "--framing")]
    [InlineData("--tps", "abc", "--tps")]
    public void The_verb_refuses_bad_options_with_one_error_line(string option, string value, string expected)
    {
        var r = CliRunner.Run("sim", "load", option, value, "--duration", option == "--duration" ? value : "1");
        Assert.Equal(1, r.ExitCode);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void An_unreachable_target_is_an_error_line_not_a_hang()
    {
        int port = SwitchProcess.FreePort(); // nothing listens there
        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = CliRunner.Run(["sim", "load", "--target", $"127.0.0.1:{port}", "--duration", "30"], timeoutMs: 30_000);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches($"^error: cannot connect to 127.0.0.1:{port}: .+\n$", r.Stderr);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(25), $"took {started.Elapsed}");
    }

    [Fact]
    public void The_verb_has_help_naming_its_options()
    {
        var r = CliRunner.Run("sim", "load", "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var option in new[] { "--target", "--tps", "--connections", "--inflight", "--duration", "--mix", "--cards", "--terminal", "--timeout-ms", "--json", "--html", "--compare-echo" })
            Assert.Contains(option, r.Stdout, StringComparison.Ordinal);
    }
}
