using Switch.Common.Configuration;
using Switch.Network.Config;

namespace Switch.Network.Tests;

/// <summary>Configuration is validated at start-up, and every error names the file, the key and the problem.</summary>
public sealed class ConfigTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root"), relative);
    }

    private static ConfigException Invalid(string json) =>
        Assert.Throws<ConfigException>(() => NetworkConfigLoader.Parse(json, "switch.json"));

    [Fact]
    public void The_shipped_config_has_the_terminals_listener_on_8583_with_binary_length_framing()
    {
        var config = NetworkConfigLoader.Load(RepoFile("config/switch.json"));
        var terminals = Assert.Single(config.Listeners);
        Assert.Equal("terminals", terminals.Name);
        Assert.Equal("127.0.0.1", terminals.Bind);
        Assert.Equal(8583, terminals.Port);
        Assert.Equal("binary2", terminals.Framing.Length);
        Assert.Equal("iso8583-1987-binary", terminals.Spec);
    }

    [Fact]
    public void A_port_out_of_range_names_file_key_and_problem()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":70000}]}""");
        Assert.Equal("switch.json: listeners[0].port: 70000 is outside 0..65535", ex.Message);
    }

    [Fact]
    public void A_misspelled_key_is_an_error_not_a_silent_default()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":1,"limits":{"maxConection":5}}]}""");
        Assert.Equal("listeners[0].limits.maxConection", ex.Key);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_its_key()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":"eighty"}]}""");
        Assert.Equal("listeners[0].port", ex.Key);
    }

    [Theory]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"length":"binary"}}]}""", "listeners[0].framing.length")]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"header":"fixed"}}]}""", "listeners[0].framing.headerBytes")]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"length":"ascii4","maxFrameBytes":20000}}]}""", "listeners[0].framing.maxFrameBytes")]
    [InlineData("""{"listeners":[{"name":"pos","spec":"no-such-spec"}]}""", "listeners[0].spec")]
    [InlineData("""{"listeners":[{"name":"pos","bind":"localhost"}]}""", "listeners[0].bind")]
    [InlineData("""{"listeners":[{"name":"pos","limits":{"idleTimeoutMs":0}}]}""", "listeners[0].limits.idleTimeoutMs")]
    [InlineData("""{"listeners":[{"name":"pos","tls":{"enabled":true}}]}""", "listeners[0].tls.certificatePath")]
    [InlineData("""{"listeners":[{"name":"a","port":9000},{"name":"b","port":9000}]}""", "listeners[1].port")]
    [InlineData("""{"listeners":[{"name":"a"},{"name":"a"}]}""", "listeners[1].name")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":[]}]}""", "connectors[0].endpoints")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["host"]}]}""", "connectors[0].endpoints[0]")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"strategy":"random"}]}""", "connectors[0].strategy")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"mux":{"keyFields":[200]}}]}""", "connectors[0].mux.keyFields")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"framing":{"header":"tpdu"}}]}""", "connectors[0].framing.outgoingHeaderHex")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"reconnect":{"initialDelayMs":500,"maxDelayMs":100}}]}""", "connectors[0].reconnect.maxDelayMs")]
    public void Each_invalid_value_is_reported_at_its_key(string json, string key)
    {
        Assert.Equal(key, Invalid(json).Key);
    }

    [Fact]
    public void Sections_of_other_areas_are_ignored()
    {
        var config = NetworkConfigLoader.Parse("""{"kafka":{"brokers":"x"},"listeners":[{"name":"pos"}]}""", "switch.json");
        Assert.Single(config.Listeners);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var ex = Assert.Throws<ConfigException>(() => NetworkConfigLoader.Load("/nonexistent/switch.json"));
        Assert.StartsWith("/nonexistent/switch.json:", ex.Message, StringComparison.Ordinal);
    }
}
