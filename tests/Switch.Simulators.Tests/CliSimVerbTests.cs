using System.Diagnostics;
using System.Text.Json;
using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>The verbs <c>switch sim issuer</c>, <c>sim pos</c> and <c>sim echo</c> through the real executable.</summary>
public sealed class CliSimVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sims-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("issuer", "--rules")]
    [InlineData("pos", "--reverse-last")]
    [InlineData("echo", "--framing")]
    [InlineData("atm", "--dispensed")]
    [InlineData("acquirer", "--institution")]
    public void Each_verb_has_help(string verb, string option)
    {
        var r = CliRunner.Run("sim", verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(option, r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--card", "Z", "--card")]
    [InlineData("--card", "A", "--target", "nohost", "--target")]
    [InlineData("--card", "A", "--pin", "12", "--pin")]
    [InlineData("--card", "A", "--pin", "1234", "--no-pin", "exclude")]
    [InlineData("--card", "A", "--partial", "5", "--partial needs --reverse-last")]
    [InlineData("--card", "A", "--bad-mac", "--no-mac", "exclude")]
    [InlineData("--card", "A", "--amount", "abc", "--amount")]
    [InlineData("--card", "A", "--mti", "0210", "MTI")]
    [InlineData("--card", "A", "--processing-code", "3", "processing code")]
    [InlineData("--card", "A", "--terminal", "T1", "terminal id")]
    [InlineData("--card", "A", "--pin-key", "nope", "pin key")]
    [InlineData("--card", "A", "--framing", "binary9", "--framing")]
    [InlineData("--card", "A", "--reversal-mti", "0200", "--reversal-mti")]
    [InlineData("--amount", "100", "--card")]
    public void Bad_pos_options_are_one_error_line(params string[] argsAndExpected)
    {
        string expected = argsAndExpected[^1];
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["sim", "pos", .. argsAndExpected[..^1]]));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--amount", "100", "--card")]
    [InlineData("--card", "A", "give --amount MINOR (a withdrawal) or --balance")]
    [InlineData("--card", "Z", "--amount", "100", "--card")]
    [InlineData("--card", "A", "--amount", "0", "--amount")]
    [InlineData("--card", "A", "--amount", "100", "--dispensed", "100", "--dispensed: must be 0 to 99")]
    [InlineData("--card", "A", "--amount", "100", "--dispensed", "10", "--dispense-failure", "exclude each other")]
    [InlineData("--card", "A", "--balance", "--amount", "100", "--balance excludes")]
    [InlineData("--card", "A", "--amount", "100", "--pin", "12", "--pin")]
    [InlineData("--card", "A", "--amount", "100", "--terminal", "ATM1", "terminal id")]
    [InlineData("--card", "A", "--amount", "100", "--target", "nohost", "--target")]
    [InlineData("--card", "A", "--amount", "100", "--framing", "x", "--framing")]
    [InlineData("--script", "/nonexistent/atm.json", "/nonexistent/atm.json")]
    [InlineData("--script", "/nonexistent/atm.json", "--card", "A", "--script excludes")]
    public void Bad_atm_options_are_one_error_line(params string[] argsAndExpected)
    {
        string expected = argsAndExpected[^1];
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["sim", "atm", .. argsAndExpected[..^1]]));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "steps": [ { "action": "reverse" } ] }""", "steps[0].action: reverse needs a withdraw step before it")]
    [InlineData("""{ "steps": [ { "action": "dance", "card": "A" } ] }""", "steps[0].action: 'dance' is not one of withdraw, balance, reverse")]
    [InlineData("""{ "steps": [ { "action": "withdraw", "card": "A" } ] }""", "steps[0].amountMinor")]
    [InlineData("""{ "steps": [ { "action": "balance", "card": "A", "dispensedMinor": 5 } ] }""", "steps[0].dispensedMinor")]
    [InlineData("""{ "steps": [ { "action": "balance", "card": "A", "colour": 5 } ] }""", "line 1")]
    [InlineData("""{ "steps": [] }""", "steps: 1 to")]
    public void A_bad_atm_script_is_one_error_line_naming_the_step(string script, string expected)
    {
        string path = Path.Combine(_dir, "atm.json");
        File.WriteAllText(path, script);
        string line = CliRunner.AssertOneLineError(CliRunner.Run("sim", "atm", "--script", path));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Contains(path, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_acquirer_without_a_listener_is_one_error_line()
    {
        int port = SwitchProcess.FreePort();
        var r = CliRunner.Run("sim", "acquirer", "--card", "A", "--amount", "100", "--target", $"127.0.0.1:{port}");
        Assert.Equal(1, r.ExitCode);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"error: purchase: cannot connect to 127.0.0.1:{port}"], lines.Select(l => l[..Math.Min(l.Length, $"error: purchase: cannot connect to 127.0.0.1:{port}".Length)]));
        Assert.Contains("32     ", r.Stdout, StringComparison.Ordinal);
        Assert.Contains(DemoDataSet.All.Acquirer.InstitutionId, r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoDataSet.Card('A').Pan, r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--misbehave", "explode", "'explode' is not one of")]
    [InlineData("--decline-rate", "2", "declineRate")]
    [InlineData("--framing", "x", "--framing")]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--misbehave-next", "2", "need --misbehave")]
    [InlineData("--above-limit-code", "5", "aboveLimitCode")]
    [InlineData("--zpk", "short", "zpk")]
    [InlineData("--rules", "/nonexistent/rules.json", "/nonexistent/rules.json")]
    public void Bad_issuer_options_are_one_error_line(string option, string value, string expected)
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("sim", "issuer", option, value));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rules_file_with_a_syntax_error_is_one_error_line_with_its_position()
    {
        string path = Path.Combine(_dir, "rules.json");
        File.WriteAllText(path, "{\n  \"seed\": 1,\n  \"declineRate\": oops\n}\n");
        string line = CliRunner.AssertOneLineError(CliRunner.Run("sim", "issuer", "--rules", path));
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains("line 3, column", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "--port")]
    [InlineData(new[] { "--port", "-1" }, "--port")]
    [InlineData(new[] { "--port", "0", "--header", "stx" }, "--header")]
    public void Bad_echo_options_are_one_error_line(string[] args, string expected)
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["sim", "echo", .. args]));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_POS_with_nothing_listening_exits_1_with_an_error_line()
    {
        var r = CliRunner.Run("sim", "pos", "--card", "A", "--amount", "100", "--target", "127.0.0.1:1", "--terminal", "TERM0002");
        Assert.Equal(1, r.ExitCode);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: purchase: cannot connect", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(DemoDataSet.Card('A').Pan, r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_issuer_verb_answers_the_pos_verb_and_both_print_only_masked_data()
    {
        using var issuer = await ServerProcess.StartAsync("sim", "issuer", "--port", "0", "--approve-up-to", "5000");
        string target = $"127.0.0.1:{issuer.Port}";
        var ok = CliRunner.Run("sim", "pos", "--card", "R", "--amount", "1000", "--target", target, "--terminal", "TERM0001", "--pin-key", DemoKeys.IssuerZpkName, "--reverse-last");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("DE39 00 approved", ok.Stdout, StringComparison.Ordinal);
        Assert.Contains("0410 answer", ok.Stdout, StringComparison.Ordinal);
        var over = CliRunner.Run("sim", "pos", "--card", "R", "--amount", "6000", "--target", target, "--terminal", "TERM0002", "--pin-key", DemoKeys.IssuerZpkName, "--json");
        Assert.True(over.ExitCode == 0, over.ToString());
        using (var doc = JsonDocument.Parse(over.Stdout.Trim())) Assert.Equal("51", doc.RootElement.GetProperty("responseCode").GetString());
        var wrong = CliRunner.Run("sim", "pos", "--card", "R", "--amount", "100", "--target", target, "--terminal", "TERM0002", "--pin-key", DemoKeys.IssuerZpkName, "--pin", "0000", "--json");
        Assert.Contains("\"responseCode\":\"55\"", wrong.Stdout, StringComparison.Ordinal);
        string log = await issuer.StopAsync();
        foreach (string output in (string[])[ok.Stdout, over.Stdout, wrong.Stdout, log])
        {
            Assert.DoesNotContain(DemoDataSet.All.RemoteCard.Pan, output, StringComparison.Ordinal);
            Assert.DoesNotContain("=3012", output, StringComparison.Ordinal);
        }
        Assert.Contains("\"pinCheck\":\"wrong\"", log, StringComparison.Ordinal);
        Assert.Contains("\"mti\":\"0400\"", log, StringComparison.Ordinal);
        Assert.Equal(0, issuer.ExitCode);
    }

    [Fact]
    public async Task Chip_and_DUKPT_options_reach_the_wire()
    {
        const string imk = "9E15204313F7318ACB79B90BD986AD29";
        using var issuer = await ServerProcess.StartAsync("sim", "issuer", "--port", "0", "--emv-imk", imk, "--no-pin-check");
        string target = $"127.0.0.1:{issuer.Port}";
        var chip = CliRunner.Run("sim", "pos", "--card", "R", "--amount", "1000", "--target", target, "--terminal", "TERM0002", "--emv-imk", imk, "--no-pin", "--json");
        Assert.True(chip.ExitCode == 0, chip.ToString());
        Assert.Contains("\"responseCode\":\"00\"", chip.Stdout, StringComparison.Ordinal);
        var dukpt = CliRunner.Run("sim", "pos", "--card", "R", "--amount", "1000", "--target", target, "--terminal", "TERM0002",
            "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF9876543210E00001", "--ksn-field", "62", "--json");
        Assert.True(dukpt.ExitCode == 0, dukpt.ToString());
        Assert.Contains("\"62\":\"FFFF9876543210E00001\"", dukpt.Stdout, StringComparison.Ordinal);
        string log = await issuer.StopAsync();
        Assert.Contains("\"arqcCheck\":\"valid\"", log, StringComparison.Ordinal);
        Assert.Equal(0, issuer.ExitCode);
        CliRunner.AssertOneLineError(CliRunner.Run("sim", "pos", "--card", "R", "--ksn", "FFFF9876543210E00001"));
    }

    [Fact]
    public async Task The_echo_verb_echoes_frames_and_stops_on_SIGTERM()
    {
        using var echo = await ServerProcess.StartAsync("sim", "echo", "--port", "0");
        var format = SimWire.Framing("binary2", "none", SimWire.Spec(SimWire.DefaultSpec));
        await using (var conn = await FramedStream.ConnectAsync("127.0.0.1", echo.Port, format, 3000, Timeouts.Token()))
        {
            await conn.WriteMessageAsync(Array.Empty<byte>(), new byte[] { 1, 2, 3 }, Timeouts.Token());
            Assert.Equal(new byte[] { 1, 2, 3 }, await conn.ReadMessageAsync(null, Timeouts.Token()));
        }
        await echo.StopAsync();
        Assert.Equal(0, echo.ExitCode);
    }
}

/// <summary>A long-running verb as a child process: its port from the first stdout line, stopped with SIGTERM.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _rest;

    private ServerProcess(Process process, int port, Task<string> rest)
    {
        _process = process;
        Port = port;
        _rest = rest;
    }

    public int Port { get; }

    public int ExitCode => _process.ExitCode;

    public static async Task<ServerProcess> StartAsync(params string[] args)
    {
        var process = Process.Start(CliRunner.StartInfo(args))!;
        process.StandardInput.Close();
        string? first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (first is null)
        {
            string err = await process.StandardError.ReadToEndAsync();
            throw new InvalidOperationException($"switch {string.Join(' ', args)} did not start: {err}");
        }
        using var doc = JsonDocument.Parse(first);
        string listening = doc.RootElement.GetProperty("listening").GetString()!;
        int port = int.Parse(listening[(listening.LastIndexOf(':') + 1)..]);
        return new ServerProcess(process, port, process.StandardOutput.ReadToEndAsync());
    }

    /// <summary>SIGTERM, then waits for the exit; returns the rest of stdout.</summary>
    public async Task<string> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string stderr = await _process.StandardError.ReadToEndAsync();
        CapturedOutput.Record(stderr);
        return await _rest;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
