using System.Diagnostics;

namespace Switch.Cli.Tests;

/// <summary><c>switch run --check</c>: validates every section of the configuration, one error line naming file, key and problem.</summary>
public sealed class RunCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_default_configuration_is_valid()
    {
        string stdout = CliRunner.AssertSuccess(CliRunner.Run("run", "--check"));
        Assert.Equal("config/switch.json: OK (network: 2 listeners, 1 connectors; security: software; core: institution 998877; admin: 127.0.0.1:9102)", stdout);
    }

    [Fact]
    public void The_repository_configuration_is_valid_given_explicitly()
    {
        string path = Path.Combine(CliRunner.RepoRoot, "config", "switch.json");
        Assert.StartsWith($"{path}: OK", CliRunner.AssertSuccess(CliRunner.Run("run", "--config", path, "--check")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_security_section_is_one_line_naming_its_key()
    {
        var r = CliRunner.Run(["run", "--check"], new Dictionary<string, string> { ["SWITCH__security__backend"] = "nosuch" });
        string line = CliRunner.AssertOneLineError(r);
        Assert.StartsWith("error: SWITCH__security__backend: security.backend: ", line, StringComparison.Ordinal);
        Assert.Contains("nosuch", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_is_applied_before_the_check()
    {
        var r = CliRunner.Run(["run", "--check"], new Dictionary<string, string> { ["SWITCH__network__listeners__0__port"] = "9000" });
        CliRunner.AssertSuccess(r);
    }

    [Fact]
    public void A_bad_override_is_one_line_naming_the_variable_key_and_problem()
    {
        var r = CliRunner.Run(["run", "--check"], new Dictionary<string, string> { ["SWITCH__network__listeners__0__port"] = "70000" });
        Assert.Equal("error: SWITCH__network__listeners__0__port: network.listeners[0].port: 70000 is outside 0..65535", CliRunner.AssertOneLineError(r));
    }

    [Fact]
    public void Bad_json_is_one_line_with_file_and_position()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{ \"network\": { \"listeners\": [ } }");
        string line = CliRunner.AssertOneLineError(CliRunner.Run("run", "--config", path, "--check"));
        Assert.StartsWith($"error: {path}: line 1, position 31: is not valid JSON", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_validation_error_is_one_line_file_key_problem()
    {
        string path = Path.Combine(_dir, "port.json");
        File.WriteAllText(path, """{ "network": { "listeners": [ { "name": "t", "bind": "127.0.0.1", "port": -1, "spec": "iso8583-1987-binary", "framing": { "length": "binary2", "header": "none" } } ] } }""");
        Assert.Equal($"error: {path}: network.listeners[0].port: -1 is outside 0..65535", CliRunner.AssertOneLineError(CliRunner.Run("run", "--config", path, "--check")));
    }

    [Fact]
    public void A_configuration_one_byte_over_the_limit_is_refused()
    {
        string path = Path.Combine(_dir, "big.json");
        File.WriteAllText(path, "{}" + new string(' ', 1024 * 1024 - 1));
        string line = CliRunner.AssertOneLineError(CliRunner.Run("run", "--config", path, "--check"));
        Assert.Equal($"error: {path}: (file): larger than the limit of 1048576 bytes", line);
    }

    [Fact]
    public void Dev_zero_as_the_configuration_is_refused_at_once()
    {
        if (!File.Exists("/dev/zero")) return;
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["run", "--config", "/dev/zero", "--check"], timeoutMs: 30_000));
        Assert.Contains("not a regular file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fifo_as_the_configuration_is_refused_without_hanging()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Path.Combine(_dir, "fifo.json");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        string line = CliRunner.AssertOneLineError(CliRunner.Run(["run", "--config", fifo, "--check"], timeoutMs: 30_000));
        Assert.Contains("not a regular file", line, StringComparison.Ordinal);
    }
}
