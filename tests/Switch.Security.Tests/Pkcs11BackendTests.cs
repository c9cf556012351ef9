using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Simulators.Hsm;

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
        Assert.Equal(v.Out, await CryptoTool.RunAsync(module, v.Op, v.In, TestTimeout.Token));
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
    public async Task A_removed_token_is_unavailable_opens_the_circuit_and_a_new_engine_recovers()
    {
        try
        {
            await using var module = token.Module();
            using var zak = await module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
            var resilient = new Resilience.ResilientSecurityModule(module, new Resilience.HsmResilienceOptions { BreakerCallsMin = 3, BreakerFailureRatio = 0.5, BreakerSamplingMs = 60_000, BreakerOpenMs = 60_000 });
            byte[] data = Convert.FromHexString("962EAA2CE763"), mac = Convert.FromHexString("824F270ABC8B3D87");
            Assert.True(await resilient.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac, TestTimeout.Token));

            token.Engine.SimulateTokenRemoval();
            for (int i = 0; i < 2; i++)
            {
                var ex = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await resilient.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac, TestTimeout.Token));
                Assert.Equal(HsmFailureKind.Unavailable, ex.Kind);
            }
            Assert.Equal(Polly.CircuitBreaker.CircuitState.Open, resilient.Circuit);
            var fast = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await resilient.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac, TestTimeout.Token));
            Assert.Contains("circuit open", fast.Message, StringComparison.Ordinal);
            Assert.Equal(HsmFailureKind.CircuitOpen, fast.Kind);
        }
        finally
        {
            token.Reopen();
        }
        await using var fresh = token.Module();
        using var again = await fresh.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        Assert.True(await fresh.VerifyMacAsync(again, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Convert.FromHexString("962EAA2CE763"), Convert.FromHexString("824F270ABC8B3D87"), TestTimeout.Token));
    }

    [Fact]
    public void A_wrong_token_PIN_is_a_one_line_unavailable_error()
    {
        var env = token.ChildEnvironment();
        env["SWITCH_PKCS11_PIN"] = "000000";
        var result = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "pkcs11"], env);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: pkcs11: token login failed (wrong PIN)", result.Stderr.Trim());
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
                await module.TranslatePinAsync(new EncryptedPinBlock(a, PinBlockFormat.Iso0, block), "4690592981884714", b, PinBlockFormat.Iso0, output, TestTimeout.Token);
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
        await module.GenerateMacAsync(key, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Convert.FromHexString("962EAA2CE763"), mac, TestTimeout.Token);
        Assert.Equal("824F270ABC8B3D87", Convert.ToHexString(mac));
        Assert.Equal("Zak tdes-128", key.ToString());
        // The token itself refuses to return CKA_VALUE and marks every object sensitive and non-extractable.
        Assert.False(token.Engine.TokenWouldRevealValue(key.Handle!));
    }

    [Fact]
    public async Task EMV_session_keys_derived_inside_the_token_are_not_readable_either()
    {
        await using var module = token.Module();
        using var imk = await module.KeyAsync(KeyType.ImkAc, "52B05236F911C9AA89AFFFBE5C87570B");
        var card = Emv.EmvCryptograms.Context("4817826577541082", "00", Convert.FromHexString("9165"), Convert.FromHexString("84A59F9A"));
        using var sessionKey = Emv.EmvCryptograms.AcKey(token.Engine, imk.Handle!, Emv.EmvScheme.EmvCsk, card);
        Assert.False(token.Engine.TokenWouldRevealValue(sessionKey));
    }
}

/// <summary>The key store keeping keys as persistent PKCS#11 token objects, named by label.</summary>
[Collection("softhsm")]
public sealed class Pkcs11KeyStoreTests(SoftHsmToken token)
{
    private static readonly byte[] C1 = Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF");
    private static readonly byte[] C2 = Convert.FromHexString("1032547698BADCFE0011223344556677");

    [Fact]
    public async Task Components_imported_to_the_token_are_stored_by_label_and_usable_after_reloading()
    {
        using var dir = new TempDir();
        var store = new FileKeyStore(dir.Path);
        string name = "zpk-" + Guid.NewGuid().ToString("N")[..8];
        var entry = new KeyImport(null, store, token.Engine).FromComponents(name, KeyType.Zpk, KeyAlgorithm.Tdes, [C1, C2], "7EAD09");
        Assert.Equal("pkcs11:" + name, entry.Cryptogram);
        try
        {
            await using var module = token.Module();
            using var key = await module.LoadStoredKeyAsync(store.Get(name), TestTimeout.Token);
            Assert.Equal("7EAD09", await module.KeyCheckValueAsync(key, TestTimeout.Token));
            Assert.False(token.Engine.TokenWouldRevealValue(key.Handle!));
        }
        finally
        {
            Assert.True(token.Engine.Delete(name));
        }
        Assert.Null(token.Engine.Find(name));
    }

    [Fact]
    public async Task A_key_under_a_token_ZMK_is_deciphered_inside_the_token()
    {
        using var dir = new TempDir();
        var store = new FileKeyStore(dir.Path);
        string zmkName = "zmk-" + Guid.NewGuid().ToString("N")[..8], zpkName = "zpk-" + Guid.NewGuid().ToString("N")[..8];
        var import = new KeyImport(null, store, token.Engine);
        import.FromComponents(zmkName, KeyType.Zmk, KeyAlgorithm.Tdes, [C1, C2], "7EAD09");
        try
        {
            // The partner's ZPK FD2C…44D3 under the all-F ZMK.
            var engine = new Backends.Software.SoftwareCipherEngine();
            using var zmk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString("111111111111111101326754CDFEAB98"));
            var cryptogram = new byte[16];
            engine.EncryptEcb(zmk, Backends.KeyPart.Whole, Convert.FromHexString("FD2C1F8DD5950801F97896E143A544D3"), cryptogram);
            string kcv = KeyImport.CheckValue(KeyAlgorithm.Tdes, Convert.FromHexString("FD2C1F8DD5950801F97896E143A544D3"));
            import.FromZmk(zpkName, KeyType.Zpk, KeyAlgorithm.Tdes, zmkName, cryptogram, kcv);
            await using var module = token.Module();
            using var zpk = await module.LoadStoredKeyAsync(store.Get(zpkName), TestTimeout.Token);
            Assert.Equal(kcv, await module.KeyCheckValueAsync(zpk, TestTimeout.Token));
        }
        finally
        {
            token.Engine.Delete(zmkName);
            token.Engine.Delete(zpkName);
        }
    }

    [Fact]
    public void Keys_import_and_remove_with_backend_pkcs11_work_from_the_command_line()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "components.txt");
        File.WriteAllLines(file, ["0123456789ABCDEF0123456789ABCDEF", "1032547698BADCFE0011223344556677"]);
        string name = "tak-" + Guid.NewGuid().ToString("N")[..8];
        var env = token.ChildEnvironment();
        var imported = CliRunner.Run(["keys", "import", "--store", dir.Path, "--name", name, "--type", "tak", "--components-file", file, "--kcv", "7EAD09", "--backend", "pkcs11"], env);
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.Contains("pkcs11:" + name, File.ReadAllText(Path.Combine(dir.Path, FileKeyStore.FileName)), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, Lmk.FileName)));

        var refused = CliRunner.Run(["keys", "remove", "--store", dir.Path, "--name", name], env);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--backend pkcs11", refused.Stderr, StringComparison.Ordinal);

        var removed = CliRunner.Run(["keys", "remove", "--store", dir.Path, "--name", name, "--backend", "pkcs11"], env);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        Assert.Empty(new FileKeyStore(dir.Path).List());
    }
}
