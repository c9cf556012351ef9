using System.Diagnostics;
using System.Text;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>Spec files are read within a limit and only when regular files; their errors are sentences with a position.</summary>
public sealed class SpecFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Func<string, MessageSpec>[] Loaders = [SpecCatalog.Resolve, SpecJson.LoadFile, JposPackagerImporter.LoadFile];

    public static TheoryData<int> LoaderIndexes() => new(0, 1, 2);

    [Theory]
    [MemberData(nameof(LoaderIndexes))]
    public void A_device_is_refused_before_it_is_read(int loader)
    {
        var ex = Assert.Throws<IsoFormatException>(() => Loaders[loader]("/dev/zero"));
        Assert.Contains("/dev/zero", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(LoaderIndexes))]
    public async Task A_fifo_is_refused_without_blocking(int loader)
    {
        string fifo = Path.Combine(_dir, "spec.json");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        Assert.True(File.Exists(fifo));
        var load = Task.Run(() => Assert.Throws<IsoFormatException>(() => Loaders[loader](fifo)));
        // Opening a FIFO with no writer would block forever: the load must end by itself.
        var ex = await load.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(LoaderIndexes))]
    public void A_file_one_byte_over_the_limit_is_refused(int loader)
    {
        string path = Path.Combine(_dir, "big.json");
        var bytes = new byte[MessageSpec.SpecFileBytesMax + 1];
        bytes.AsSpan().Fill((byte)' ');
        bytes[0] = (byte)'{';
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<IsoFormatException>(() => Loaders[loader](path));
        Assert.Contains($"larger than the limit of {MessageSpec.SpecFileBytesMax} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_at_the_limit_is_read()
    {
        string json = SpecCatalog.BuiltInJson("iso8583-1987-ascii");
        string path = Path.Combine(_dir, "padded.json");
        byte[] bytes = Encoding.UTF8.GetBytes(json.PadRight(MessageSpec.SpecFileBytesMax));
        Assert.Equal(MessageSpec.SpecFileBytesMax, bytes.Length);
        File.WriteAllBytes(path, bytes);
        Assert.Equal("iso8583-1987-ascii", SpecCatalog.Resolve(path).Name);
    }

    [Fact]
    public void A_proc_file_reporting_size_zero_is_read_through_and_reported_as_what_it_is()
    {
        var ex = Assert.Throws<IsoFormatException>(() => SpecCatalog.Resolve("/proc/self/status"));
        Assert.Contains("/proc/self/status: invalid JSON at line 1, byte 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_a_json_spec_is_a_positioned_spec_error()
    {
        byte[] json = [.. "{\"name\": \"t\",\n  \"description\": \"caf"u8, 0xC3, 0x28, .. "\", \"fields\": {}}"u8];
        var ex = Assert.Throws<IsoFormatException>(() => SpecJson.Parse(json, "bad.json"));
        Assert.Equal("bad.json: invalid UTF-8 at line 2, byte 22 (byte offset 35): byte C3", ex.Message);
    }

    [Fact]
    public void An_undeclared_entity_is_named_with_its_line_and_position()
    {
        const string xml = "<?xml version=\"1.0\"?>\n<isopackager>\n  <isofield id=\"0\" length=\"4\" name=\"&mti;\" class=\"IFA_NUMERIC\"/>\n</isopackager>\n";
        var ex = Assert.Throws<IsoFormatException>(() => JposPackagerImporter.Parse(Encoding.UTF8.GetBytes(xml), "ent.xml"));
        Assert.StartsWith("ent.xml: line 3, position ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("undeclared entity '&mti;'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Xml_", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_xml_errors_are_sentences_with_a_position()
    {
        const string xml = "<isopackager>\n  <isofield id=\"0\" length=\"4\" class=\"IFA_NUMERIC\">\n</isopackager>\n";
        var ex = Assert.Throws<IsoFormatException>(() => JposPackagerImporter.Parse(Encoding.UTF8.GetBytes(xml), "tags.xml"));
        Assert.StartsWith("tags.xml: line 3, position ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Xml_", ex.Message, StringComparison.Ordinal);
    }
}
