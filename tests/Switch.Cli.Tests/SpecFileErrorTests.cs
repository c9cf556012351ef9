using System.Diagnostics;

namespace Switch.Cli.Tests;

/// <summary>A spec file the CLI cannot use is one clear line naming it: never a read without end, never a resource key.</summary>
public sealed class SpecFileErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-cli-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string DecodeWith(string spec) =>
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", spec, "--hex", "0800"));

    [Fact]
    public void Dev_zero_is_refused_at_once()
    {
        string line = DecodeWith("/dev/zero");
        Assert.Contains("/dev/zero", line, StringComparison.Ordinal);
        Assert.Contains("not a regular file", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_without_waiting_for_a_writer()
    {
        string fifo = Path.Combine(_dir, "spec.xml");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        Assert.Contains("not a regular file", DecodeWith(fifo), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_the_limit_is_refused()
    {
        string path = Path.Combine(_dir, "big.json");
        using (var file = File.Create(path)) file.SetLength((4 * 1024 * 1024) + 1);
        Assert.Contains("larger than the limit of 4194304 bytes", DecodeWith(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_a_json_spec_is_positioned()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllBytes(path, [.. "{\"name\":\"x"u8, 0xFF, 0xFE, .. "\",\"fields\":{}}"u8]);
        string line = DecodeWith(path);
        Assert.Contains("invalid UTF-8 at line 1, byte 11 (byte offset 10)", line, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_undeclared_entity_in_a_packager_is_a_sentence_with_its_line_and_position()
    {
        string path = Path.Combine(_dir, "ent.xml");
        File.WriteAllText(path, "<?xml version=\"1.0\"?>\n<isopackager>\n  <isofield id=\"0\" length=\"4\" name=\"&mti;\" class=\"IFA_NUMERIC\"/>\n</isopackager>\n");
        string line = DecodeWith(path);
        Assert.Contains("line 3, position 38", line, StringComparison.Ordinal);
        Assert.Contains("undeclared entity '&mti;'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Xml_", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_in_a_spec_names_the_problem_not_a_resource_key()
    {
        string path = Path.Combine(_dir, "comma.json");
        File.WriteAllText(path, "{\"name\": \"x\", \"fields\": {},}");
        string line = DecodeWith(path);
        Assert.Contains("invalid JSON at line 1", line, StringComparison.Ordinal);
        Assert.Contains("trailing comma", line, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\b[A-Z][a-z]+[A-Z][A-Za-z]+\b", line.Split(": ", 3)[^1]); // no resource key such as TrailingCommaNotAllowedBeforeObjectEnd
    }
}

/// <summary><c>--file</c> is read within its limit too: a device is refused at once.</summary>
public sealed class MessageFileErrorTests
{
    [Fact]
    public void Dev_zero_as_the_message_file_is_refused_at_once()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--file", "/dev/zero"));
        Assert.Contains("--file: /dev/zero: is not a regular file", line, StringComparison.Ordinal);
    }
}
