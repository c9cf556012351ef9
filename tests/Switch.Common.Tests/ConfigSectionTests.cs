using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Common.Tests;

/// <summary>ConfigSection: an area binds its section strictly, and every error names file, full key and problem.</summary>
public sealed class ConfigSectionTests
{
    /// <summary>A small options shape like an area's.</summary>
    public sealed class SampleOptions
    {
        public string Name { get; set; } = "default";
        public int FrameBytesMax { get; set; } = 8192;
        public List<SampleItem> Items { get; set; } = [];
    }

    /// <summary>An element of a list in the options.</summary>
    public sealed class SampleItem
    {
        public int Port { get; set; }
    }

    private static ConfigSection Section(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = true });
        return new ConfigSection("config/switch.json", "network", doc.RootElement.Clone());
    }

    [Fact]
    public void Known_keys_bind_and_absent_keys_keep_their_defaults()
    {
        var options = Section("""{ "name": "terminals", "items": [ { "port": 8583 } ] }""").Bind<SampleOptions>();
        Assert.Equal("terminals", options.Name);
        Assert.Equal(8192, options.FrameBytesMax);
        Assert.Equal(8583, Assert.Single(options.Items).Port);
    }

    [Fact]
    public void Keys_are_camel_case_exactly()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("""{ "Name": "x" }""").Bind<SampleOptions>());
        Assert.Equal("is not a known key", ex.Problem);
    }

    [Fact]
    public void An_unknown_key_is_an_error_naming_the_file_and_section()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("""{ "name": "x", "maxFrameBytes": 10 }""").Bind<SampleOptions>());
        Assert.Equal("config/switch.json", ex.File);
        Assert.StartsWith("network", ex.Key, StringComparison.Ordinal);
        Assert.Equal("is not a known key", ex.Problem);
        Assert.StartsWith("config/switch.json: network", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_inside_a_list_element_names_the_element()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("""{ "items": [ { "port": 1 }, { "prot": 2 } ] }""").Bind<SampleOptions>());
        Assert.StartsWith("network.items[1]", ex.Key, StringComparison.Ordinal);
        Assert.Equal("is not a known key", ex.Problem);
    }

    [Fact]
    public void A_duplicate_key_is_an_error()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("""{ "name": "a", "name": "b" }""").Bind<SampleOptions>());
        Assert.Equal("is given twice", ex.Problem);
        Assert.StartsWith("network", ex.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_key()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("""{ "frameBytesMax": "big" }""").Bind<SampleOptions>());
        Assert.Equal("network.frameBytesMax", ex.Key);
        Assert.Equal("has a value of the wrong type or form", ex.Problem);
    }

    [Fact]
    public void A_null_section_is_an_error()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("null").Bind<SampleOptions>());
        Assert.Equal("network", ex.Key);
        Assert.Contains("null", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_section_that_is_not_an_object_is_an_error()
    {
        var ex = Assert.Throws<ConfigException>(() => Section("[1, 2]").Bind<SampleOptions>());
        Assert.Equal("network", ex.Key);
    }

    [Fact]
    public void An_uninitialized_element_is_an_error_not_a_crash()
    {
        var section = new ConfigSection("f.json", "network", default);
        var ex = Assert.Throws<ConfigException>(() => section.Bind<SampleOptions>());
        Assert.Equal("network", ex.Key);
    }

    [Theory]
    [InlineData("", "network")]
    [InlineData("listeners[0].port", "network.listeners[0].port")]
    [InlineData("[2]", "network[2]")]
    public void Keys_are_reported_in_full(string key, string full)
    {
        Assert.Equal(full, Section("{}").KeyOf(key));
    }

    [Fact]
    public void An_area_error_reads_file_key_problem()
    {
        var ex = Section("{}").Error("listeners[0].port", "70000 is outside 0..65535");
        Assert.Equal("config/switch.json: network.listeners[0].port: 70000 is outside 0..65535", ex.Message);
    }
}
