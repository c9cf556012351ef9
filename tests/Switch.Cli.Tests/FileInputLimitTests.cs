using System.Diagnostics;

namespace Switch.Cli.Tests;

/// <summary><c>iso8583 decode --file</c> reads at most its limit (1 MiB) + 1 byte, and only regular files.</summary>
public sealed class FileInputLimitTests : IDisposable
{
    private const int InputBytesMax = 1024 * 1024;

    private readonly string _dir = Directory.CreateTempSubdirectory("switch-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliRunner.Result Decode(string file) =>
        CliRunner.Run(["iso8583", "decode", "--spec", "iso8583-1987-binary", "--file", file], timeoutMs: 30_000);

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void A_device_is_refused_at_once(string device)
    {
        if (!File.Exists(device)) return;
        string line = CliRunner.AssertOneLineError(Decode(device));
        Assert.Equal($"error: --file: {device}: is not a regular file (a device, FIFO or socket cannot be read as a file)", line);
    }

    [Fact]
    public void A_fifo_is_refused_without_hanging()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Path.Combine(_dir, "message.hex");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        string line = CliRunner.AssertOneLineError(Decode(fifo));
        Assert.Contains("not a regular file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_one_byte_over_the_limit_is_refused_by_size()
    {
        string path = Path.Combine(_dir, "big.bin");
        File.WriteAllBytes(path, new byte[InputBytesMax + 1]);
        string line = CliRunner.AssertOneLineError(Decode(path));
        Assert.Equal($"error: --file: {path}: larger than the limit of {InputBytesMax} bytes", line);
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_read_and_judged_as_a_message()
    {
        string path = Path.Combine(_dir, "exact.bin");
        File.WriteAllBytes(path, new byte[InputBytesMax]);
        string line = CliRunner.AssertOneLineError(Decode(path));
        Assert.DoesNotContain("limit of", line, StringComparison.Ordinal);
        Assert.Contains("65536", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_refused()
    {
        Assert.Equal($"error: --file: {_dir}: is a directory, not a file", CliRunner.AssertOneLineError(Decode(_dir)));
    }
}
