using Switch.Common.Configuration;
using Switch.Iso8583.Spec;
using Switch.Network.Config;

namespace Switch.Network.Tests;

/// <summary>The host's "network" section is bound and validated at start-up, and every error names the file, the key and the problem.</summary>
public sealed class ConfigTests
{
    private static ConfigException Invalid(string json) => Assert.Throws<ConfigException>(() => TestSupport.Parse(json));

    [Fact]
    public void A_section_binds_its_listeners_and_connectors_with_their_limits()
    {
        var config = TestSupport.Parse("""
            {
              "listeners": [ { "name": "terminals", "port": 8583, "framing": { "length": "binary2", "frameBytesMax": 4096, "zeroLengthFrames": "close" },
                               "limits": { "connectionsMax": 10, "connectionsPerIpMax": 5, "inFlightPerConnectionMax": 8 } } ],
              "connectors": [ { "name": "issuer", "endpoints": ["127.0.0.1:9000"], "mux": { "pendingMax": 100, "timeoutMs": 2000 },
                                "reconnect": { "initialDelayMs": 10, "delayMsMax": 1000 }, "networkManagement": { "echoFailuresMax": 2 } } ]
            }
            """);
        var terminals = Assert.Single(config.Listeners);
        Assert.Equal(8583, terminals.Port);
        Assert.Equal(4096, terminals.Framing.FrameBytesMax);
        Assert.Equal("close", terminals.Framing.ZeroLengthFrames);
        Assert.Equal((10, 5, 8), (terminals.Limits.ConnectionsMax, terminals.Limits.ConnectionsPerIpMax, terminals.Limits.InFlightPerConnectionMax));
        var issuer = Assert.Single(config.Connectors);
        Assert.Equal((100, 1000, 2), (issuer.Mux.PendingMax, issuer.Reconnect.DelayMsMax, issuer.NetworkManagement.EchoFailuresMax));
    }

    [Fact]
    public void A_port_out_of_range_names_file_key_and_problem()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":70000}]}""");
        Assert.Equal("switch.json: network.listeners[0].port: 70000 is outside 0..65535", ex.Message);
    }

    [Fact]
    public void A_misspelled_key_is_an_error_not_a_silent_default()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":1,"limits":{"connectionMax":5}}]}""");
        Assert.Equal("network.listeners[0].limits.connectionMax", ex.Key);
        Assert.Equal("is not a known key", ex.Problem);
    }

    [Theory]
    [InlineData("maxConnections")]
    [InlineData("maxConnectionsPerIp")]
    [InlineData("maxInFlightPerConnection")]
    public void The_old_limit_names_are_refused(string oldKey)
    {
        var ex = Invalid($$$"""{"listeners":[{"name":"pos","limits":{"{{{oldKey}}}":5}}]}""");
        Assert.Equal($"network.listeners[0].limits.{oldKey}", ex.Key);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_its_key()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":"eighty"}]}""");
        Assert.Equal("network.listeners[0].port", ex.Key);
    }

    [Theory]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"length":"binary"}}]}""", "listeners[0].framing.length")]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"header":"fixed"}}]}""", "listeners[0].framing.headerBytes")]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"length":"ascii4","frameBytesMax":20000}}]}""", "listeners[0].framing.frameBytesMax")]
    [InlineData("""{"listeners":[{"name":"pos","framing":{"zeroLengthFrames":"ignore"}}]}""", "listeners[0].framing.zeroLengthFrames")]
    [InlineData("""{"listeners":[{"name":"pos","spec":"no-such-spec"}]}""", "listeners[0].spec")]
    [InlineData("""{"listeners":[{"name":"pos","spec":"/dev/zero"}]}""", "listeners[0].spec")]
    [InlineData("""{"listeners":[{"name":"pos","bind":"localhost"}]}""", "listeners[0].bind")]
    [InlineData("""{"listeners":[{"name":"pos","limits":{"idleTimeoutMs":0}}]}""", "listeners[0].limits.idleTimeoutMs")]
    [InlineData("""{"listeners":[{"name":"pos","limits":{"connectionsMax":0}}]}""", "listeners[0].limits.connectionsMax")]
    [InlineData("""{"listeners":[{"name":"pos","tls":{"enabled":true}}]}""", "listeners[0].tls.certificatePath")]
    [InlineData("""{"listeners":[{"name":"a","port":9000},{"name":"b","port":9000}]}""", "listeners[1].port")]
    [InlineData("""{"listeners":[{"name":"a"},{"name":"a"}]}""", "listeners[1].name")]
    [InlineData("""{"listeners":null}""", "listeners")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":[]}]}""", "connectors[0].endpoints")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["host"]}]}""", "connectors[0].endpoints[0]")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"strategy":"random"}]}""", "connectors[0].strategy")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"mux":{"keyFields":[200]}}]}""", "connectors[0].mux.keyFields")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"mux":{"pendingMax":0}}]}""", "connectors[0].mux.pendingMax")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"framing":{"header":"tpdu"}}]}""", "connectors[0].framing.outgoingHeaderHex")]
    [InlineData("""{"connectors":[{"name":"iss","endpoints":["h:1"],"reconnect":{"initialDelayMs":500,"delayMsMax":100}}]}""", "connectors[0].reconnect.delayMsMax")]
    public void Each_invalid_value_is_reported_at_its_key_inside_the_network_section(string json, string key)
    {
        Assert.Equal("network." + key, Invalid(json).Key);
    }

    [Fact]
    public void A_key_of_another_area_inside_the_network_section_is_refused()
    {
        var ex = Invalid("""{"kafka":{"brokers":"x"},"listeners":[{"name":"pos"}]}""");
        Assert.Equal("network.kafka", ex.Key);
    }

    [Fact]
    public void A_key_given_twice_is_refused()
    {
        var ex = Invalid("""{"listeners":[{"name":"pos","port":1,"port":2}]}""");
        Assert.StartsWith("network.listeners[0]", ex.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_file_named_by_a_listener_and_a_connector_by_different_paths_is_one_spec_object()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"switch-spec-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "dialect.json");
            File.WriteAllText(file, SpecCatalog.BuiltInJson("iso8583-1987-binary"));
            string viaDot = Path.Combine(dir, ".", "dialect.json");
            var specs = new SpecRegistry();
            var json = $$"""
                {"listeners":[{"name":"pos","spec":{{System.Text.Json.JsonSerializer.Serialize(file)}}}],
                 "connectors":[{"name":"iss","endpoints":["h:1"],"spec":{{System.Text.Json.JsonSerializer.Serialize(viaDot)}}}]}
                """;
            var config = TestSupport.Parse(json, specs);
            Assert.Same(specs.Resolve(config.Listeners[0].Spec), specs.Resolve(config.Connectors[0].Spec));
            Assert.Single(specs.Specs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
