using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>One spec object per spec, however it is named: built-in names, file paths by any route, links.</summary>
public sealed class SpecRegistryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"switch-registry-{Guid.NewGuid():N}");

    public SpecRegistryTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_built_in_name_resolves_to_one_object()
    {
        var specs = new SpecRegistry();
        Assert.Same(specs.Resolve("iso8583-1987-binary"), specs.Resolve("iso8583-1987-binary"));
        Assert.Equal("iso8583-1987-binary", Assert.Single(specs.Specs).Key);
    }

    [Fact]
    public void A_file_named_by_absolute_relative_dotted_and_linked_paths_is_one_object()
    {
        string file = Write("dialect.json", SpecCatalog.BuiltInJson("iso8583-1987-ascii"));
        string link = Path.Combine(_dir, "link.json");
        File.CreateSymbolicLink(link, file);
        var specs = new SpecRegistry();
        var first = specs.Resolve(file);
        Assert.Same(first, specs.Resolve(Path.Combine(_dir, ".", "sub", "..", "dialect.json")));
        Assert.Same(first, specs.Resolve(Path.GetRelativePath(Environment.CurrentDirectory, file)));
        Assert.Same(first, specs.Resolve(link));
        Assert.Equal(Path.GetFullPath(file), Assert.Single(specs.Specs).Key);
        Assert.True(specs.Contains(first));
    }

    [Fact]
    public void Two_registries_load_a_file_twice_which_is_why_the_switch_builds_one()
    {
        string file = Write("dialect.json", SpecCatalog.BuiltInJson("iso8583-1987-binary"));
        var a = new SpecRegistry().Resolve(file);
        var b = new SpecRegistry().Resolve(file);
        Assert.NotSame(a, b);
        Assert.False(new SpecRegistry().Contains(a));
    }

    [Fact]
    public void A_jpos_packager_file_resolves_like_a_json_one()
    {
        string xml = Write("packager.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <isopackager>
              <isofield id="0" length="4" name="MTI" class="org.jpos.iso.IFA_NUMERIC"/>
              <isofield id="1" length="16" name="BITMAP" class="org.jpos.iso.IFA_BITMAP"/>
              <isofield id="11" length="6" name="STAN" class="org.jpos.iso.IFA_NUMERIC"/>
            </isopackager>
            """);
        var specs = new SpecRegistry();
        var spec = specs.Resolve(xml);
        Assert.Same(spec, specs.Resolve(xml));
        Assert.NotNull(spec[11]);
    }

    [Fact]
    public void An_unknown_name_or_missing_file_is_a_format_error_naming_it()
    {
        var specs = new SpecRegistry();
        var ex = Assert.Throws<IsoFormatException>(() => specs.Resolve("no-such-spec"));
        Assert.Contains("no-such-spec", ex.Message, StringComparison.Ordinal);
        Assert.Throws<IsoFormatException>(() => specs.Resolve(Path.Combine(_dir, "absent.json")));
        Assert.Empty(specs.Specs);
    }

    [Fact]
    public void A_device_is_refused_before_it_is_read()
    {
        // /dev/zero reports size 0 and never ends: an unbounded read would exhaust memory at start-up.
        var ex = Assert.Throws<IsoFormatException>(() => new SpecRegistry().Resolve("/dev/zero"));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_file_over_the_limit_is_refused()
    {
        string file = Path.Combine(_dir, "huge.json");
        using (var stream = File.Create(file)) stream.SetLength(MessageSpec.SpecFileBytesMax + 1);
        var ex = Assert.Throws<IsoFormatException>(() => new SpecRegistry().Resolve(file));
        Assert.Contains($"larger than the limit of {MessageSpec.SpecFileBytesMax} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_spec_file_is_refused_and_not_remembered()
    {
        string file = Write("broken.json", "{ \"name\": ");
        var specs = new SpecRegistry();
        Assert.Throws<IsoFormatException>(() => specs.Resolve(file));
        Assert.Empty(specs.Specs);
    }
}
