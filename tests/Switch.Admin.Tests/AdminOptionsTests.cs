using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Admin.Tests;

/// <summary>The "admin" section: defaults, and every bad value refused with its key named.</summary>
public sealed class AdminOptionsTests
{
    private static AdminOptions Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return AdminOptions.FromSection(new ConfigSection("switch.json", "admin", document.RootElement.Clone()));
    }

    private static ConfigException Refused(string json) => Assert.Throws<ConfigException>(() => Parse(json));

    [Fact]
    public void An_empty_section_means_enabled_on_loopback_port_9102()
    {
        var options = Parse("{}");
        Assert.True(options.Enabled);
        Assert.Equal("127.0.0.1", options.Bind);
        Assert.Equal(9102, options.Port);
        Assert.False(options.AllowRemote);
        Assert.Equal(16, options.ConnectionsMax);
    }

    [Fact]
    public void Every_key_binds()
    {
        var options = Parse("""{"enabled":false,"bind":"::1","port":0,"connectionsMax":4,"postgresTimeoutMs":300,"postgresCacheMs":0}""");
        Assert.False(options.Enabled);
        Assert.Equal("::1", options.Bind);
        Assert.Equal(0, options.Port);
        Assert.Equal(4, options.ConnectionsMax);
        Assert.Equal(300, options.PostgresTimeoutMs);
        Assert.Equal(0, options.PostgresCacheMs);
    }

    [Theory]
    [InlineData("""{"port":70000}""", "admin.port", "is 70000; expected 0 to 65535")]
    [InlineData("""{"port":-1}""", "admin.port", "is -1; expected 0 to 65535")]
    [InlineData("""{"port":"9102"}""", "admin.port", "has a value of the wrong type or form")]
    [InlineData("""{"bind":"localhost"}""", "admin.bind", "is \"localhost\"; expected an IP address such as 127.0.0.1")]
    [InlineData("""{"connectionsMax":0}""", "admin.connectionsMax", "is 0; expected 1 to 1000")]
    [InlineData("""{"postgresTimeoutMs":10}""", "admin.postgresTimeoutMs", "is 10; expected 50 to 30000")]
    [InlineData("""{"postgresCacheMs":-5}""", "admin.postgresCacheMs", "is -5; expected 0 to 60000")]
    [InlineData("""{"listen":"127.0.0.1"}""", "admin.listen", "is not a known key")]
    public void A_bad_value_is_refused_naming_its_key(string json, string key, string problem)
    {
        var ex = Refused(json);
        Assert.Equal(key, ex.Key);
        Assert.Equal(problem, ex.Problem);
        Assert.Equal("switch.json", ex.File);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("::")]
    public void A_non_loopback_bind_is_refused_without_allow_remote(string bind)
    {
        var ex = Refused($$"""{"bind":"{{bind}}"}""");
        Assert.Equal("admin.bind", ex.Key);
        Assert.Contains("not a loopback address", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("allowRemote", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_loopback_bind_is_accepted_with_allow_remote()
    {
        var options = Parse("""{"bind":"0.0.0.0","allowRemote":true}""");
        Assert.Equal("0.0.0.0", options.Bind);
        Assert.True(options.AllowRemote);
    }

    [Fact]
    public void Any_loopback_address_is_accepted()
    {
        Assert.Equal("127.0.0.2", Parse("""{"bind":"127.0.0.2"}""").Bind);
        Assert.Equal("::1", Parse("""{"bind":"::1"}""").Bind);
    }
}
