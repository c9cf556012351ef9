using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Simulators.Card;

namespace Switch.Cli.Tests;

/// <summary>
/// `switch demo` end to end, as a newcomer runs it but on free ports and a throwaway database (`--ports auto`,
/// `--config` naming the test's database, key store and spool): twice in a row, each run checked for its exit code,
/// a summary whose counts add up, the journal's verdict, no error lines, no full PAN and nothing left listening or
/// running; and `--serve`, which must answer a terminal until SIGTERM.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class DemoTests : IAsyncLifetime
{
    /// <summary>Each run's bound (the issue: under 2 minutes).</summary>
    private static readonly TimeSpan RunMax = TimeSpan.FromMinutes(2);

    private readonly ThrowawayDatabase _database = new("demo_test_");
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-demo-test-").FullName;

    private string ConfigPath => Path.Combine(_dir, "base.json");

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        // The default configuration's shape; its ports are placeholders that --ports auto replaces.
        File.WriteAllText(ConfigPath, $$"""
            {
              "network": {
                "listeners": [ { "name": "terminals", "bind": "127.0.0.1", "port": 1, "spec": "iso8583-1987-binary",
                                 "framing": { "length": "binary2", "header": "none" } } ],
                "connectors": [ { "name": "issuer-sim", "endpoints": ["127.0.0.1:1"], "spec": "iso8583-1987-binary",
                                  "framing": { "length": "binary2", "header": "none" },
                                  "networkManagement": { "signOnRequired": true, "responseTimeoutMs": 2000 }, "mux": { "timeoutMs": 2000 } } ]
              },
              "security": { "keyStorePath": {{JsonSerializer.Serialize(Path.Combine(_dir, "keys"))}} },
              "journal": { "spool": { "directory": {{JsonSerializer.Serialize(Path.Combine(_dir, "state", "journal"))}} } },
              "core": { "institutionId": "998877" },
              "admin": { "bind": "127.0.0.1", "port": 1 },
              "postgres": { "connectionString": {{JsonSerializer.Serialize(_database.ConnectionString)}}, "connectTimeoutMs": 3000 }
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void The_demo_runs_end_to_end_twice_in_a_row_with_a_summary_that_adds_up_and_leaves_nothing_behind()
    {
        for (int run = 1; run <= 2; run++)
        {
            var clock = Stopwatch.StartNew();
            var r = CliRunner.Run(["demo", "--config", ConfigPath, "--ports", "auto", "--load-seconds", "3"], timeoutMs: (int)RunMax.TotalMilliseconds);
            clock.Stop();
            Assert.True(r.ExitCode == 0, $"run {run}: {r}");
            Assert.True(clock.Elapsed < RunMax, $"run {run} took {clock.Elapsed}");
            Assert.True(r.Stderr.Length == 0, $"run {run}: {r}");
            CheckSummary(r.Stdout, run);
            CheckNarrative(r.Stdout, run);
            CheckNothingLeft(r.Stdout, run);
        }
    }

    [Fact]
    public async Task Demo_serve_prints_its_addresses_answers_a_terminal_and_stops_on_sigterm_freeing_its_ports()
    {
        using var process = Process.Start(CliRunner.StartInfo(["demo", "--serve", "--config", ConfigPath, "--ports", "auto"]))!;
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.StartsWith("serving:", StringComparison.Ordinal)) serving.TrySetResult();
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var first = await Task.WhenAny(serving.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(first == serving.Task, $"demo --serve did not come up: {Text(stdout)}");
            string output = Text(stdout);
            foreach (string key in new[] { "terminals:", "iso20022:", "admin:", "issuer sim:", "kafka:", "postgres:" })
                Assert.Contains("  " + key, output, StringComparison.Ordinal);
            var ports = Ports(output);

            await using (var pos = new PosTerminal(new PosTerminalOptions { Port = ports.Terminals, TerminalId = "TERM0001", AnswerTimeoutMs = 15_000 }))
            {
                var x = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 1_000 }, CancellationToken.None);
                Assert.True(x.ResponseCode == "00", ExchangePrinter.Summary(x));
                Assert.True(x.AnswerMacValid);
                var remote = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo('R'), AmountMinor = 1_000 }, CancellationToken.None);
                Assert.True(remote.ResponseCode == "00", ExchangePrinter.Summary(remote));
            }

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(wait.Token);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {Text(stdout)} {await stderr}");
            Assert.Equal("", await stderr);
            foreach (int port in ports.All) Assert.True(CanBind(port), $"port {port} is still held after demo --serve stopped");
            Assert.Empty(ProcessesMentioning(_dir));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Bad_demo_options_are_one_error_line()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("demo", "--hsm", "thales"));
        CliRunner.AssertOneLineError(CliRunner.Run("demo", "--ports", "some"));
        CliRunner.AssertOneLineError(CliRunner.Run("demo", "--load-seconds", "-3"));
        CliRunner.AssertOneLineError(CliRunner.Run("demo", "--config", Path.Combine(_dir, "missing.json")));
    }

    [Fact]
    public void A_default_port_already_taken_is_one_error_line_naming_the_port_and_its_holder()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        string config = Path.Combine(_dir, "taken.json");
        File.WriteAllText(config, File.ReadAllText(ConfigPath).Replace("\"admin\": { \"bind\": \"127.0.0.1\", \"port\": 1 }",
            $"\"admin\": {{ \"bind\": \"127.0.0.1\", \"port\": {taken} }}", StringComparison.Ordinal)
            .Replace("\"port\": 1,", $"\"port\": {SwitchProcess.FreePort()},", StringComparison.Ordinal)
            .Replace("127.0.0.1:1\"", $"127.0.0.1:{SwitchProcess.FreePort()}\"", StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["demo", "--config", config], timeoutMs: 30_000));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains($"port {taken} (admin endpoint) is in use", line, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", line, StringComparison.Ordinal);
    }

    // ---- checks ----

    private static void CheckSummary(string stdout, int run)
    {
        long total = long.Parse(Field(stdout, "transactions"), CultureInfo.InvariantCulture);
        var byCode = Field(stdout, "by DE39").Split(", ").Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        Assert.True(byCode.Values.Sum() == total, $"run {run}: by DE39 {string.Join(",", byCode)} does not add up to {total}");
        // The scenario's own answers: approvals, one 51, one 55, one 91, at least.
        Assert.True(byCode.GetValueOrDefault("00") >= 6 && byCode.GetValueOrDefault("51") >= 1 && byCode.GetValueOrDefault("55") >= 1
            && byCode.GetValueOrDefault("91") >= 1, $"run {run}: {string.Join(",", byCode)}");
        Assert.DoesNotContain("none", byCode.Keys);
        Assert.Matches(@"^[0-9]+(\.[0-9])? /s$", Field(stdout, "throughput"));
        Assert.Matches(@"^[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2} ms$", Field(stdout, "latency p50/p99"));
        var journal = JournalLine().Match(Field(stdout, "journal"));
        Assert.True(journal.Success, $"run {run}: {Field(stdout, "journal")}");
        Assert.True(long.Parse(journal.Groups[2].Value, CultureInfo.InvariantCulture) >= total, $"run {run}: fewer journal rows than transactions");
    }

    private static void CheckNarrative(string stdout, int run)
    {
        for (int step = 1; step <= 8; step++) Assert.Contains($"step {step}/8:", stdout, StringComparison.Ordinal);
        // The reset put card A back to 1,000.00 before each run, so the withdrawal leaves 900.00 every time.
        Assert.Contains("available balance 900.00", stdout, StringComparison.Ordinal);
        Assert.Contains("ARQC valid", stdout, StringComparison.Ordinal);
        Assert.Matches(@"#[0-9]+ 0420, .*DE 90 0200", stdout);
        Assert.Matches(@"#[0-9]+ 0220, .*answered 00", stdout);
        Assert.Matches(@"<- HTTP 200: pacs\.002\.[0-9.]+, status [A-Z]{4}", stdout);
        foreach (string line in stdout.Split('\n'))
            Assert.False(ForbiddenWords().IsMatch(line), $"run {run}: a line reads like a problem: {line}");
        foreach (Match digits in DigitRun().Matches(stdout))
            Assert.False(digits.Length is >= 13 and <= 19 && Switch.Routing.RouteRules.LuhnValid(digits.Value), $"run {run}: a full card number in the output: {digits.Value[..6]}…");
        Assert.Contains("476173******0011", stdout, StringComparison.Ordinal);
    }

    private void CheckNothingLeft(string stdout, int run)
    {
        foreach (int port in Ports(stdout).All) Assert.True(CanBind(port), $"run {run}: port {port} is still held after the demo ended");
        Assert.Empty(ProcessesMentioning(_dir));
    }

    private static string Field(string stdout, string key)
    {
        var m = Regex.Match(stdout, $"^  {Regex.Escape(key)}: (.+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{key}:' line in: {stdout}");
        return m.Groups[1].Value.TrimEnd('\r');
    }

    private sealed record DemoPorts(int Terminals, int Iso20022Tcp, int Iso20022Http, int Admin, int Issuer)
    {
        public int[] All => [Terminals, Iso20022Tcp, Iso20022Http, Admin, Issuer];
    }

    private static DemoPorts Ports(string stdout)
    {
        static int At(string text, string pattern)
        {
            var m = Regex.Match(text, pattern, RegexOptions.Multiline);
            Assert.True(m.Success, $"no match for {pattern}");
            return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return new DemoPorts(
            At(stdout, @"^  terminals:\s+127\.0\.0\.1:([0-9]+)"),
            At(stdout, @"^  iso20022:\s+tcp 127\.0\.0\.1:([0-9]+)"),
            At(stdout, @"^  iso20022:.*http://127\.0\.0\.1:([0-9]+)/iso20022"),
            At(stdout, @"^  admin:\s+http://127\.0\.0\.1:([0-9]+)/"),
            At(stdout, @"^  issuer sim:\s+127\.0\.0\.1:([0-9]+)"));
    }

    private static bool CanBind(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            probe.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Processes whose command line names the test's directory (the demo's config, spool and key store live there).</summary>
    private static List<int> ProcessesMentioning(string dir)
    {
        var found = new List<int>();
        foreach (string proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(dir, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone or not ours to read.
            }
        }
        return found;
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb) return sb.ToString();
    }

    [GeneratedRegex("error|exception|fail", RegexOptions.IgnoreCase)]
    private static partial Regex ForbiddenWords();

    [GeneratedRegex("(?<![0-9])[0-9]{13,19}(?![0-9])")]
    private static partial Regex DigitRun();

    [GeneratedRegex(@"^([0-9]+) legs in Kafka, ([0-9]+) rows in Postgres, verify: ok$")]
    private static partial Regex JournalLine();
}
