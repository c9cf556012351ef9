using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Security.Tooling;

namespace Switch.Security.Tests;

/// <summary>The PKCS#11 back end on a real SoftHSM2 token gives the same answers as the vectors.</summary>
[Collection("softhsm")]
public sealed class Pkcs11BackendTests(SoftHsmToken token)
{
    public static TheoryData<string> Ids => VectorFile.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task PKCS11_back_end_reproduces_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        await using var module = token.Module();
        Assert.Equal(v.Out, await CryptoTool.RunAsync(module, v.Op, v.In));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Switch_crypto_with_backend_pkcs11_reproduces_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        var args = CliRunner.Arguments(v.Op, v.In);
        args.AddRange(["--backend", "pkcs11"]);
        var result = CliRunner.Run(args, token.ChildEnvironment());
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal(v.Out, result.Json());
    }

    [Fact]
    public async Task Concurrent_PIN_translations_share_the_session_pool_safely()
    {
        await using var module = token.Module();
        using var a = await module.KeyAsync(KeyType.Zpk, "FD2C1F8DD5950801F97896E143A544D3");
        using var b = await module.KeyAsync(KeyType.Zpk, "022BB21ECDE7A47F621FA7A97FD1676C");
        byte[] block = Convert.FromHexString("A5F4EC8ABAE7E43E");
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var output = new byte[8];
            for (int i = 0; i < 100; i++)
            {
                await module.TranslatePinAsync(new EncryptedPinBlock(a, PinBlockFormat.Iso0, block), "4690592981884714", b, PinBlockFormat.Iso0, output);
                if (Convert.ToHexString(output) != "CF90AF3580E4D929") return false;
            }
            return true;
        })));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task Token_keys_are_sensitive_and_cannot_be_read_back()
    {
        await using var module = token.Module();
        using var key = await module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        // The only way to use the key is through the token; its MAC matches the software back end's.
        var mac = new byte[8];
        await module.GenerateMacAsync(key, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Convert.FromHexString("962EAA2CE763"), mac);
        Assert.Equal("824F270ABC8B3D87", Convert.ToHexString(mac));
        Assert.Equal("Zak tdes-128", key.ToString());
    }
}
