using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Security.Configuration;
using Switch.Security.Keys;
using Switch.Security.Mac;

namespace Switch.Security.Tests;

/// <summary>The "security" configuration section binds, refuses bad values by key, and builds the host's module.</summary>
public sealed class SecurityOptionsTests
{
    private static ConfigSection Section(string json) => new("switch.json", "security", JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void A_full_section_binds_every_setting()
    {
        var o = SecurityOptions.From(Section("""
            { "backend": "payshield", "keyStorePath": "/var/lib/switch/keys", "lmkPath": "/etc/switch/lmk.json",
              "payShield": { "endpoints": ["10.0.0.5:1500", "10.0.0.6:1500"], "headerLength": 6 },
              "timeoutMs": 800, "breakerFailureRatio": 0.25, "breakerCallsMin": 20, "breakerSamplingMs": 30000, "breakerOpenMs": 10000 }
            """));
        Assert.Equal("payshield", o.Backend);
        Assert.Equal("/etc/switch/lmk.json", o.LmkFile);
        Assert.Equal(2, o.PayShield.ParsedEndpoints().Count);
        Assert.Equal(new Switch.Security.Backends.PayShield.PayShieldEndpoint("10.0.0.6", 1500), o.PayShield.ParsedEndpoints()[1]);
        Assert.Equal(800, o.Resilience.TimeoutMs);
        Assert.Equal(20, o.Resilience.BreakerCallsMin);
    }

    [Theory]
    [InlineData("""{ "backend": "hsm9000" }""", "security.backend")]
    [InlineData("""{ "timeoutMs": 0 }""", "security.timeoutMs")]
    [InlineData("""{ "breakerFailureRatio": 1.5 }""", "security.breakerFailureRatio")]
    [InlineData("""{ "breakerCallsMin": 1 }""", "security.breakerCallsMin")]
    [InlineData("""{ "breakerOpenMs": 10 }""", "security.breakerOpenMs")]
    [InlineData("""{ "backend": "pkcs11", "pkcs11": { "pinReference": "PIN" } }""", "security.pkcs11.tokenLabel")]
    [InlineData("""{ "backend": "pkcs11", "pkcs11": { "tokenLabel": "switch" } }""", "security.pkcs11.pinReference")]
    [InlineData("""{ "backend": "payshield", "payShield": { "endpoints": ["10.0.0.5"] } }""", "security.payShield.endpoints[0]")]
    [InlineData("""{ "backend": "payshield", "payShield": { "endpoints": [] } }""", "security.payShield.endpoints")]
    [InlineData("""{ "timeoutMS": 100 }""", "security.timeoutMS")]
    public void A_bad_value_is_reported_with_its_key(string json, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => SecurityOptions.From(Section(json)));
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public async Task The_factory_builds_a_resilient_software_module_that_loads_stored_keys()
    {
        using var dir = new TempDir();
        using (Lmk.Create(dir.Path)) { }
        using (var lmk = Lmk.Load(dir.Path))
        {
            new KeyImport(lmk, new FileKeyStore(dir.Path)).FromComponents("zak.test", KeyType.Zak, KeyAlgorithm.Tdes, [Convert.FromHexString("C99DC32C25B6260190036CD97EDB88DD")], KeyImport.CheckValue(KeyAlgorithm.Tdes, Convert.FromHexString("C99DC32C25B6260190036CD97EDB88DD")));
        }
        var section = Section($$"""{ "backend": "software", "keyStorePath": {{JsonSerializer.Serialize(dir.Path)}} }""");
        await using var module = SecurityModuleFactory.Create(SecurityOptions.From(section), section, _ => null);
        Assert.False(typeof(ISecurityTooling).IsAssignableFrom(module.GetType()));
        var store = SecurityModuleFactory.OpenKeyStore(SecurityOptions.From(section));
        SecureKey zak = await module.LoadStoredKeyAsync(store.Get("zak.test"), TestTimeout.Token);
        Assert.True(await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Convert.FromHexString("962EAA2CE763"), Convert.FromHexString("824F270ABC8B3D87"), TestTimeout.Token));
    }

    [Fact]
    public void The_software_back_end_without_an_LMK_file_is_a_configuration_error()
    {
        using var dir = new TempDir();
        var section = Section($$"""{ "keyStorePath": {{JsonSerializer.Serialize(dir.Path)}} }""");
        var ex = Assert.Throws<ConfigException>(() => SecurityModuleFactory.Create(SecurityOptions.From(section), section, _ => null));
        Assert.Equal("security.keyStorePath", ex.Key);
    }

    [Fact]
    public void An_unresolved_PIN_reference_is_a_configuration_error_naming_the_reference_not_a_PIN()
    {
        var section = Section("""{ "backend": "pkcs11", "pkcs11": { "tokenLabel": "switch", "pinReference": "SWITCH_TOKEN_PIN" } }""");
        var ex = Assert.Throws<ConfigException>(() => SecurityModuleFactory.Create(SecurityOptions.From(section), section, _ => null));
        Assert.Equal("security.pkcs11.pinReference", ex.Key);
    }
}
