using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Iso20022.Tests;

/// <summary>The transport keys of section "iso20022": listeners, http, endpoints and router bind, and every bad value names its key.</summary>
public sealed class TransportOptionsTests
{
    private static ConfigSection Section(string json) => new("switch.json", "iso20022", JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void Listeners_http_endpoints_and_router_bind()
    {
        var o = Iso20022Options.FromSection(Section("""
            { "listeners": [ { "name": "t", "port": 9020, "connectionsMax": 10 } ],
              "http": { "bind": "0.0.0.0", "port": 9021 },
              "endpoints": [ { "name": "h", "transport": "http", "url": "https://gw.example/iso20022" },
                             { "name": "p", "transport": "tcp", "address": "10.0.0.5:7020", "timeoutMs": 500 } ],
              "router": { "iso8583TimeoutMs": 2000 } }
            """));
        Assert.Equal(("t", 9020, 10, "127.0.0.1"), (o.Listeners[0].Name, o.Listeners[0].Port, o.Listeners[0].ConnectionsMax, o.Listeners[0].Bind));
        Assert.Equal(("0.0.0.0", 9021), (o.Http!.Bind, o.Http.Port));
        Assert.Equal(("tcp", "10.0.0.5:7020", 500), (o.Endpoints[1].Transport, o.Endpoints[1].Address, o.Endpoints[1].TimeoutMs));
        Assert.Equal(2000, o.Router.Iso8583TimeoutMs);
    }

    [Theory]
    [InlineData("""{ "listeners": [ { "name": "", "port": 1 } ] }""", "listeners[0].name")]
    [InlineData("""{ "listeners": [ { "name": "a" }, { "name": "a" } ] }""", "listeners[1].name")]
    [InlineData("""{ "listeners": [ { "name": "a", "bind": "localhost" } ] }""", "listeners[0].bind")]
    [InlineData("""{ "listeners": [ { "name": "a", "port": 70000 } ] }""", "listeners[0].port")]
    [InlineData("""{ "http": { "headersTimeoutMs": 1 } }""", "http.headersTimeoutMs")]
    [InlineData("""{ "endpoints": [ { "name": "e", "transport": "http", "url": "ftp://x/y" } ] }""", "endpoints[0].url")]
    [InlineData("""{ "endpoints": [ { "name": "e", "transport": "tcp", "address": "nohost" } ] }""", "endpoints[0].address")]
    [InlineData("""{ "endpoints": [ { "name": "e", "transport": "mq" } ] }""", "endpoints[0].transport")]
    [InlineData("""{ "endpoints": [ { "name": "e", "url": "http://x/", "timeoutMs": 0 } ] }""", "endpoints[0].timeoutMs")]
    [InlineData("""{ "router": { "iso8583TimeoutMs": 0 } }""", "router.iso8583TimeoutMs")]
    public void A_bad_value_names_its_key(string json, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => Iso20022Options.FromSection(Section(json)));
        Assert.Equal("iso20022." + key, ex.Key);
    }

    [Fact]
    public void An_unknown_key_inside_an_endpoint_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => Iso20022Options.FromSection(Section("""{ "endpoints": [ { "name": "e", "url": "http://x/", "retries": 3 } ] }""")));
        Assert.Contains("retries", ex.Message, StringComparison.Ordinal);
    }
}
