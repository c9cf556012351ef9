using System.Diagnostics;
using Switch.Common.IO;

namespace Switch.Common.Tests;

/// <summary>BoundedFile: a size limit that holds whatever the file claims, and nothing but regular files read.</summary>
public sealed class BoundedFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-common-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_regular_file_under_the_limit_is_read_whole()
    {
        string path = Write("small.bin", [1, 2, 3, 4, 5]);
        Assert.Equal([1, 2, 3, 4, 5], BoundedFile.ReadAllBytes(path, 100));
    }

    [Fact]
    public void A_file_exactly_at_the_limit_is_read()
    {
        string path = Write("exact.bin", new byte[1000]);
        Assert.Equal(1000, BoundedFile.ReadAllBytes(path, 1000).Length);
    }

    [Fact]
    public void A_file_one_byte_over_the_limit_is_refused_naming_the_file_and_limit()
    {
        string path = Write("over.bin", new byte[1001]);
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(path, 1000));
        Assert.Equal($"{path}: larger than the limit of 1000 bytes", ex.Message);
    }

    [Fact]
    public void An_empty_file_reads_as_nothing_and_a_zero_limit_holds()
    {
        Assert.Empty(BoundedFile.ReadAllBytes(Write("empty.bin", []), 0));
        Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(Write("one.bin", [7]), 0));
    }

    [Fact]
    public void The_largest_limit_does_not_overflow()
    {
        Assert.Equal([9], BoundedFile.ReadAllBytes(Write("nine.bin", [9]), int.MaxValue));
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/dev/null")]
    public void A_device_is_refused_as_not_a_regular_file(string device)
    {
        if (!File.Exists(device)) return; // not a Linux-like system
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(device, 1024));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(device, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_proc_file_reporting_size_zero_is_read_through_the_stream_within_the_limit()
    {
        const string proc = "/proc/self/status";
        if (!File.Exists(proc)) return;
        Assert.Equal(0, new FileInfo(proc).Length);
        string text = BoundedFile.ReadAllText(proc, 64 * 1024);
        Assert.Contains("Name:", text, StringComparison.Ordinal);
        // The reported size is 0 but the content is not: the limit applies to what is read.
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(proc, 10));
        Assert.Contains("larger than the limit of 10 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_at_once_without_waiting_for_a_writer()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Path.Combine(_dir, "fifo");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        Assert.True(File.Exists(fifo));
        var read = Task.Run(() => BoundedFile.ReadAllBytes(fifo, 1024));
        // A read that blocks waiting for a writer fails the test instead of hanging it.
        var ex = await Assert.ThrowsAsync<BoundedFileException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_refused()
    {
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(_dir, 1024));
        Assert.Equal($"{_dir}: is a directory, not a file", ex.Message);
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it()
    {
        string path = Path.Combine(_dir, "nope.json");
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(path, 1024));
        Assert.Equal($"{path}: no such file", ex.Message);
    }

    [Fact]
    public void A_symbolic_link_to_a_regular_file_is_followed()
    {
        string target = Write("target.txt", "hello"u8.ToArray());
        string link = Path.Combine(_dir, "link.txt");
        File.CreateSymbolicLink(link, target);
        Assert.Equal("hello", BoundedFile.ReadAllText(link, 100));
    }

    [Fact]
    public void A_symbolic_link_to_a_device_is_refused()
    {
        if (!File.Exists("/dev/zero")) return;
        string link = Path.Combine(_dir, "zero");
        File.CreateSymbolicLink(link, "/dev/zero");
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(link, 1024));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dangling_symbolic_link_is_a_missing_file()
    {
        string link = Path.Combine(_dir, "dangling");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "gone"));
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllBytes(link, 1024));
        Assert.Contains("no such file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_is_decoded_as_utf8_and_a_byte_order_mark_is_dropped()
    {
        string path = Write("bom.txt", [0xEF, 0xBB, 0xBF, (byte)'h', 0xC3, 0xA9]);
        Assert.Equal("hé", BoundedFile.ReadAllText(path, 100));
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_the_byte_offset_in_the_file()
    {
        string path = Write("bad.txt", [(byte)'a', (byte)'b', (byte)'c', 0xFF, (byte)'d']);
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllText(path, 100));
        Assert.Equal($"{path}: invalid UTF-8 at byte offset 3", ex.Message);
    }

    [Fact]
    public void The_offset_of_invalid_utf8_counts_the_byte_order_mark()
    {
        string path = Write("bombad.txt", [0xEF, 0xBB, 0xBF, (byte)'a', 0xC3]);
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.ReadAllText(path, 100));
        Assert.Equal($"{path}: invalid UTF-8 at byte offset 4", ex.Message);
    }

    [Fact]
    public void A_truncated_multibyte_sequence_at_the_end_is_invalid()
    {
        var ex = Assert.Throws<BoundedFileException>(() => BoundedFile.DecodeUtf8([(byte)'x', 0xE2, 0x82], "stdin"));
        Assert.Equal("stdin: invalid UTF-8 at byte offset 1", ex.Message);
    }

    [Fact]
    public void A_negative_limit_is_a_programming_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BoundedFile.ReadAllBytes(Write("x", [1]), -1));
    }
}
