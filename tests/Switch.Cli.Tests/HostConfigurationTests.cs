using System.Collections;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;

namespace Switch.Cli.Tests;

/// <summary>
/// The host's configuration file: one section per area, strict JSON with positioned errors, environment overrides
/// (SWITCH__section__key__0__key) applied before the areas validate, and every error naming file (or variable), key and problem.
/// </summary>
public sealed class HostConfigurationTests : IDisposable
{
    private const string Listener = """
        { "name": "terminals", "bind": "127.0.0.1", "port": 8583, "spec": "iso8583-1987-binary",
          "framing": { "length": "binary2", "header": "none", "frameBytesMax": 8192 },
          "limits": { "connectionsMax": 20 } }
        """;

    private static readonly string Config = $$"""
        {
          // comments are allowed
          "network": {
            "listeners": [ {{Listener}} ],
            "connectors": [],
          }
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("switch-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Hashtable Env(params (string Name, string Value)[] variables)
    {
        var env = new Hashtable();
        foreach (var (name, value) in variables) env[name] = value;
        return env;
    }

    private string Write(string text)
    {
        string path = Path.Combine(_dir, $"switch-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    private HostSettings Load(string text, params (string Name, string Value)[] variables) => HostSettings.Load(Write(text), Env(variables));

    private ConfigException Fails(string text, params (string Name, string Value)[] variables) =>
        Assert.Throws<ConfigException>(() => Load(text, variables));

    [Fact]
    public void The_network_section_binds_with_comments_and_trailing_commas()
    {
        var settings = Load(Config);
        var listener = Assert.Single(settings.Network.Listeners);
        Assert.Equal(8583, listener.Port);
        Assert.Equal(20, listener.Limits.ConnectionsMax);
        Assert.Equal("network: 1 listeners, 0 connectors; security: software; core: none (network management only)", settings.Summary());
    }

    [Fact]
    public void A_file_without_a_network_section_has_no_listeners()
    {
        Assert.Empty(Load("{}").Network.Listeners);
    }

    [Fact]
    public void Bad_json_is_reported_with_its_line_and_position()
    {
        var ex = Fails("{\n  \"network\": {\n    \"listeners\": [ }\n}");
        Assert.EndsWith(".json", ex.File, StringComparison.Ordinal);
        Assert.Equal("line 3, position 20", ex.Key);
        Assert.StartsWith("is not valid JSON: ", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_not_valid_json()
    {
        var ex = Fails("");
        Assert.Equal("line 1, position 1", ex.Key);
    }

    [Fact]
    public void A_duplicate_key_is_refused_with_its_key_and_line()
    {
        var ex = Fails("{ \"network\": { \"listeners\": [ { \"name\": \"a\",\n \"name\": \"b\" } ] } }");
        Assert.Equal("network.listeners[0].name", ex.Key);
        Assert.Equal("is given twice in one object (again at line 2, position 2)", ex.Problem);
    }

    [Fact]
    public void A_duplicate_section_is_refused()
    {
        var ex = Fails("{ \"network\": {}, \"network\": {} }");
        Assert.Equal("network", ex.Key);
        Assert.Contains("twice", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_section_is_refused_naming_the_known_ones()
    {
        var ex = Fails("{ \"network\": {}, \"netwrok\": {} }");
        Assert.Equal("netwrok", ex.Key);
        Assert.Equal($"is not a section of the configuration (known sections: {string.Join(", ", HostConfiguration.SectionNames)})", ex.Problem);
        Assert.Contains("network", HostConfiguration.SectionNames);
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_is_refused_with_its_position()
    {
        var ex = Assert.Throws<ConfigException>(() => HostConfiguration.Parse("{ \"network\": " + new string('[', 100) + new string(']', 100) + " }", "f.json", Env()));
        Assert.StartsWith("line 1, position ", ex.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_text_is_refused_with_a_configuration_error_never_a_crash()
    {
        var random = new Random(8583);
        const string alphabet = "{}[]\":,/*\n 0123456789.-+eEtruefalsn\\\"networklisteners";
        for (int i = 0; i < 2000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            try
            {
                HostConfiguration.Parse(text, "f.json", Env(("SWITCH__network__listeners__0__port", "1")));
            }
            catch (ConfigException)
            {
                // The expected outcome for almost every input; anything else fails the test.
            }
        }
    }

    [Fact]
    public void A_document_that_is_not_an_object_is_refused()
    {
        Assert.Equal("(root)", Fails("[]").Key);
    }

    [Fact]
    public void A_validation_error_names_the_file_and_the_full_key()
    {
        var ex = Fails(Config.Replace("8583", "70000", StringComparison.Ordinal));
        Assert.Equal("network.listeners[0].port", ex.Key);
        Assert.Equal("70000 is outside 0..65535", ex.Problem);
        Assert.EndsWith(".json", ex.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Limit_names_end_in_max_and_the_old_names_are_refused()
    {
        var ex = Fails(Config.Replace("connectionsMax", "maxConnections", StringComparison.Ordinal));
        Assert.Equal("network.listeners[0].limits.maxConnections", ex.Key);
        Assert.StartsWith("is not a known key", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_limit_error_names_the_key_as_the_file_writes_it()
    {
        var ex = Fails(Config.Replace("\"frameBytesMax\": 8192", "\"frameBytesMax\": 3", StringComparison.Ordinal));
        Assert.Equal("network.listeners[0].framing.frameBytesMax", ex.Key);
    }

    [Fact]
    public void An_override_sets_a_number()
    {
        var settings = Load(Config, ("SWITCH__network__listeners__0__port", "9000"));
        Assert.Equal(9000, settings.Network.Listeners[0].Port);
        Assert.Equal("SWITCH__network__listeners__0__port", settings.Configuration.Overridden["network.listeners[0].port"]);
    }

    [Fact]
    public void An_override_sets_text_without_quotes()
    {
        var settings = Load(Config, ("SWITCH__network__listeners__0__bind", "0.0.0.0"));
        Assert.Equal("0.0.0.0", settings.Network.Listeners[0].Bind);
    }

    [Fact]
    public void An_override_may_set_a_key_the_file_leaves_to_its_default()
    {
        var settings = Load(Config, ("SWITCH__network__listeners__0__limits__idleTimeoutMs", "1000"));
        Assert.Equal(1000, settings.Network.Listeners[0].Limits.IdleTimeoutMs);
    }

    [Fact]
    public void Variables_without_the_double_underscore_prefix_are_not_overrides()
    {
        var settings = Load(Config, ("SWITCH_HSM_HOST", "127.0.0.1"), ("SWITCH_network__listeners__0__port", "x"));
        Assert.Equal(8583, settings.Network.Listeners[0].Port);
    }

    [Fact]
    public void An_override_that_is_not_a_number_where_the_file_has_one_names_the_variable()
    {
        var ex = Fails(Config, ("SWITCH__network__listeners__0__port", "ninety"));
        Assert.Equal("SWITCH__network__listeners__0__port", ex.File);
        Assert.Equal("network.listeners[0].port", ex.Key);
        Assert.Equal("'ninety' is not a number (the file's value is one)", ex.Problem);
    }

    [Fact]
    public void An_override_whose_value_fails_validation_names_the_variable()
    {
        var ex = Fails(Config, ("SWITCH__network__listeners__0__port", "70000"));
        Assert.Equal("SWITCH__network__listeners__0__port", ex.File);
        Assert.Equal("network.listeners[0].port", ex.Key);
        Assert.Equal("70000 is outside 0..65535", ex.Problem);
    }

    [Fact]
    public void An_override_of_a_list_index_the_file_does_not_have_is_an_error()
    {
        var ex = Fails(Config, ("SWITCH__network__listeners__3__port", "9000"));
        Assert.Equal("SWITCH__network__listeners__3__port", ex.File);
        Assert.Equal("network.listeners[3]", ex.Key);
        Assert.Contains("not in the configuration file", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_through_a_key_the_file_does_not_have_is_an_error()
    {
        var ex = Fails(Config, ("SWITCH__network__listeners__0__tls__enabled", "true"));
        Assert.Equal("network.listeners[0].tls", ex.Key);
        Assert.Contains("not in the configuration file", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_of_a_key_no_option_has_is_refused_by_the_area()
    {
        var ex = Fails(Config, ("SWITCH__network__listeners__0__prot", "9000"));
        Assert.Equal("SWITCH__network__listeners__0__prot", ex.File);
        Assert.Equal("network.listeners[0].prot", ex.Key);
        Assert.Equal("is not a known key", ex.Problem);
    }

    [Fact]
    public void An_override_of_an_unknown_section_is_an_error()
    {
        var ex = Fails(Config, ("SWITCH__routeing__table", "x"));
        Assert.Equal("SWITCH__routeing__table", ex.File);
        Assert.Equal("routeing", ex.Key);
    }

    [Theory]
    [InlineData("SWITCH__network__listeners", "[]")]
    [InlineData("SWITCH__network__listeners__0__framing", "x")]
    [InlineData("SWITCH__network__listeners__0__port", "{\"a\":1}")]
    [InlineData("SWITCH__network", "x")]
    [InlineData("SWITCH__network____port", "1")]
    public void An_override_replaces_one_value_never_an_object_or_list(string variable, string value)
    {
        var ex = Fails(Config, (variable, value));
        Assert.Equal(variable, ex.File);
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused()
    {
        string body = "{ \"network\": {} }";
        string exact = body + new string(' ', HostConfiguration.FileBytesMax - body.Length);
        Assert.Empty(HostSettings.Load(Write(exact), Env()).Network.Listeners);
        string over = exact + " ";
        var ex = Assert.Throws<ConfigException>(() => HostSettings.Load(Write(over), Env()));
        Assert.Equal("(file)", ex.Key);
        Assert.Equal($"larger than the limit of {HostConfiguration.FileBytesMax} bytes", ex.Problem);
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_its_byte_offset()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllBytes(path, [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        var ex = Assert.Throws<ConfigException>(() => HostSettings.Load(path, Env()));
        Assert.Equal("invalid UTF-8 at byte offset 2", ex.Problem);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void A_device_is_refused_as_a_configuration_file(string device)
    {
        if (!File.Exists(device)) return;
        var ex = Assert.Throws<ConfigException>(() => HostSettings.Load(device, Env()));
        Assert.Contains("not a regular file", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => HostSettings.Load(Path.Combine(_dir, "none.json"), Env()));
        Assert.Equal("no such file", ex.Problem);
    }

    [Fact]
    public void A_core_section_makes_the_switch_and_binds_core_and_admin()
    {
        var settings = Load(Config.TrimEnd().TrimEnd('}') + """, "core": { "institutionId": "998877", "inFlightMax": 100 }, "admin": { "port": 19102 } }""");
        Assert.Equal(100, settings.Core!.InFlightMax);
        Assert.Equal(19102, settings.Admin.Port);
        Assert.Equal("network: 1 listeners, 0 connectors; security: software; core: institution 998877; admin: 127.0.0.1:19102", settings.Summary());
    }

    [Fact]
    public void A_bad_core_value_names_its_key()
    {
        var ex = Fails(Config.TrimEnd().TrimEnd('}') + """, "core": { "institutionId": "99887766554433" } }""");
        Assert.Equal("core.institutionId", ex.Key);
    }
}
