using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Mac;

namespace Switch.Security.Tests;

/// <summary>MAC over zero-length data (HSM-CONTRACT "Empty data") on all three back ends, library and CLI.</summary>
[Collection("softhsm")]
public sealed class EmptyDataMacTests(SoftHsmToken token)
{
    private const string TdesKey = "0123456789ABCDEFFEDCBA9876543210";
    private const string AesKey = "2B7E151628AED2A6ABF7158809CF4F3C";

    // RFC 4493 section 4, example 1: AES-CMAC of the empty message.
    private const string Rfc4493Example1 = "BB1D6929E95937287FA37D129B756746";

    public static TheoryData<string> Backends => ["software", "pkcs11", "payshield"];

    // ISO 9797-1 algorithm 1 over one block is that block enciphered: padding 1 gives one zero block, padding 2 gives 80 00…
    private static string Ecb(string block)
    {
        using var engine = new SoftwareCipherEngine();
        using KeyHandle k = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(TdesKey));
        var output = new byte[8];
        engine.EncryptEcb(k, KeyPart.Whole, Convert.FromHexString(block), output);
        return Convert.ToHexString(output);
    }

    private async Task<(ISecurityTooling Module, IAsyncDisposable Owner)> OpenAsync(string backend)
    {
        await Task.Yield();
        if (backend == "payshield")
        {
            var f = PayShieldFixture.Start();
            return (f.Module, f);
        }
        ComposedSecurityModule m = backend == "software" ? SoftwareModule.Create() : token.Module();
        return (m, m);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_library_MACs_empty_data_as_ISO_9797_1_and_RFC_4493_say(string backend)
    {
        var (module, owner) = await OpenAsync(backend);
        await using var _ = owner;
        using var tak = await module.KeyAsync(KeyType.Tak, TdesKey);
        using var aes = await module.KeyAsync(KeyType.Tak, AesKey, KeyAlgorithm.Aes);
        var mac = new byte[16];
        Assert.Equal(8, await module.GenerateMacAsync(tak, MacAlgorithm.Iso9797Alg1, MacPadding.Method1, ReadOnlyMemory<byte>.Empty, mac, TestTimeout.Token));
        Assert.Equal(Ecb("0000000000000000"), Convert.ToHexString(mac, 0, 8));
        Assert.Equal(8, await module.GenerateMacAsync(tak, MacAlgorithm.Iso9797Alg1, MacPadding.Method2, ReadOnlyMemory<byte>.Empty, mac, TestTimeout.Token));
        Assert.Equal(Ecb("8000000000000000"), Convert.ToHexString(mac, 0, 8));
        Assert.Equal(16, await module.GenerateMacAsync(aes, MacAlgorithm.AesCmac, MacPadding.Method1, ReadOnlyMemory<byte>.Empty, mac, TestTimeout.Token));
        Assert.Equal(Rfc4493Example1, Convert.ToHexString(mac));
        Assert.True(await module.VerifyMacAsync(aes, MacAlgorithm.AesCmac, MacPadding.Method1, ReadOnlyMemory<byte>.Empty, Convert.FromHexString(Rfc4493Example1), TestTimeout.Token));
        Assert.False(await module.VerifyMacAsync(aes, MacAlgorithm.AesCmac, MacPadding.Method1, new byte[1], Convert.FromHexString(Rfc4493Example1), TestTimeout.Token));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Switch_crypto_mac_accepts_an_empty_data_option(string backend)
    {
        var env = token.ChildEnvironment();
        var mac = CliRunner.Run(["crypto", "mac", "--alg", "aes-cmac", "--key", AesKey, "--data", "", "--backend", backend], env);
        Assert.True(mac.ExitCode == 0, $"exit {mac.ExitCode}: {mac.Stderr}");
        Assert.Equal(Rfc4493Example1, mac.Json()["mac"]);
        var retail = CliRunner.Run(["crypto", "mac", "--alg", "iso9797-1-alg1", "--padding", "1", "--key", TdesKey, "--data", "", "--backend", backend], env);
        Assert.Equal(Ecb("0000000000000000"), retail.Json()["mac"]);
        var verify = CliRunner.Run(["crypto", "mac-verify", "--alg", "aes-cmac", "--key", AesKey, "--data", "", "--mac", Rfc4493Example1, "--backend", backend], env);
        Assert.True(verify.ExitCode == 0, $"exit {verify.ExitCode}: {verify.Stderr}");
        Assert.Equal("true", verify.Json()["verified"]);
    }

    [Fact]
    public void An_absent_data_option_is_still_an_error()
    {
        var result = CliRunner.Run(["crypto", "mac", "--alg", "aes-cmac", "--key", AesKey]);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("--data", result.Stderr, StringComparison.Ordinal);
    }
}
