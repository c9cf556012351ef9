using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Security.Tests;

/// <summary>The LMK, the file key store and key import with KCV confirmation.</summary>
public sealed class KeyStoreTests
{
    private static readonly byte[] C1 = Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF");
    private static readonly byte[] C2 = Convert.FromHexString("1032547698BADCFE0011223344556677");

    [Fact]
    public void Components_with_the_right_KCV_are_stored_only_as_a_cryptogram()
    {
        using var dir = new TempDir();
        using var lmk = Lmk.Create(dir.Path);
        var store = new FileKeyStore(dir.Path);
        var entry = new KeyImport(lmk, store).FromComponents("zpk.acq1", KeyType.Zpk, KeyAlgorithm.Tdes, [C1, C2], "7EAD09");
        Assert.Equal("7EAD09", entry.Kcv);
        string file = File.ReadAllText(Path.Combine(dir.Path, FileKeyStore.FileName));
        Assert.DoesNotContain("FFFFFFFFFFFFFFFF", file, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789ABCDEF", file, StringComparison.Ordinal);
        Assert.Single(store.List());
    }

    [Fact]
    public void A_wrong_KCV_stores_nothing_and_says_which_KCV_was_computed()
    {
        using var dir = new TempDir();
        using var lmk = Lmk.Create(dir.Path);
        var store = new FileKeyStore(dir.Path);
        var ex = Assert.Throws<SecurityInputException>(() => new KeyImport(lmk, store).FromComponents("zpk1", KeyType.Zpk, KeyAlgorithm.Tdes, [C1, C2], "000000"));
        Assert.Contains("7EAD09", ex.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task A_key_received_under_a_ZMK_is_imported_and_usable_from_the_store()
    {
        using var dir = new TempDir();
        using var lmk = Lmk.Create(dir.Path);
        var store = new FileKeyStore(dir.Path);
        var import = new KeyImport(lmk, store);
        import.FromComponents("zmk1", KeyType.Zmk, KeyAlgorithm.Tdes, [C1, C2], "7EAD09");
        // The partner sends ZPK FD2C1F8DD5950801F97896E143A544D3 enciphered under the ZMK (all-F key).
        var engine = new SoftwareCipherEngine();
        using var zmk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString("111111111111111101326754CDFEAB98"));
        var cryptogram = new byte[16];
        engine.EncryptEcb(zmk, KeyPart.Whole, Convert.FromHexString("FD2C1F8DD5950801F97896E143A544D3"), cryptogram);
        string kcv = KeyImport.CheckValue(KeyAlgorithm.Tdes, Convert.FromHexString("FD2C1F8DD5950801F97896E143A544D3"));
        var entry = import.FromZmk("zpk1", KeyType.Zpk, KeyAlgorithm.Tdes, "zmk1", cryptogram, kcv);

        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine(), lmk);
        using var loaded = await module.LoadStoredKeyAsync(entry, TestTimeout.Token);
        Assert.Equal(kcv, await module.KeyCheckValueAsync(loaded, TestTimeout.Token));
        Assert.Equal(KeyType.Zpk, loaded.Type);
    }

    [Fact]
    public void A_tampered_cryptogram_or_another_LMK_is_rejected()
    {
        using var lmk = Lmk.Generate();
        using var other = Lmk.Generate();
        string block = lmk.Wrap(KeyType.Zpk, KeyAlgorithm.Tdes, C1);
        var clear = new byte[32];
        Assert.Equal(16, lmk.Unwrap(block, clear, out _, out _));
        Assert.Throws<SecurityInputException>(() => other.Unwrap(block, clear, out _, out _));
        string flipped = block[..20] + (block[20] == '0' ? '1' : '0') + block[21..];
        Assert.Throws<SecurityInputException>(() => lmk.Unwrap(flipped, clear, out _, out _));
        // Changing the header's type (ZP → PV) breaks the authentication too.
        Assert.Throws<SecurityInputException>(() => lmk.Unwrap(block.Replace("ZPT", "PVT", StringComparison.Ordinal), clear, out _, out _));
    }

    [Fact]
    public void An_existing_LMK_is_never_overwritten()
    {
        using var dir = new TempDir();
        using (Lmk.Create(dir.Path)) { }
        Assert.Throws<IOException>(() => Lmk.Create(dir.Path));
    }

    [Fact]
    public void Removing_a_key_takes_it_out_of_the_list()
    {
        using var dir = new TempDir();
        using var lmk = Lmk.Create(dir.Path);
        var store = new FileKeyStore(dir.Path);
        new KeyImport(lmk, store).FromComponents("k1", KeyType.Tak, KeyAlgorithm.Tdes, [C1, C2], "7EAD09");
        Assert.True(store.Remove("k1"));
        Assert.False(store.Remove("k1"));
        Assert.Empty(store.List());
    }
}

/// <summary>The <c>switch keys</c> verbs end to end through the real executable.</summary>
public sealed class KeysCliTests
{
    [Fact]
    public void A_components_file_that_is_a_device_or_a_fifo_or_too_large_is_refused_at_once()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliRunner.Run(["keys", "init", "--store", dir.Path]).ExitCode);
        string fifo = Path.Combine(dir.Path, "components.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        string big = Path.Combine(dir.Path, "big.txt");
        File.WriteAllText(big, new string('A', 4096));
        foreach (string file in new[] { "/dev/zero", fifo, big })
        {
            // The runner's own timeout fails the test if the FIFO is opened and waited on.
            var r = CliRunner.Run(["keys", "import", "--store", dir.Path, "--name", "k", "--type", "zpk", "--components-file", file, "--kcv", "7EAD09"]);
            Assert.Equal(1, r.ExitCode);
            string line = r.Stderr.Trim();
            Assert.StartsWith("error: --components-file: ", line, StringComparison.Ordinal);
            Assert.Contains(file == big ? "larger than the limit" : "not a regular file", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Init_import_list_and_remove_work_and_list_never_shows_key_material()
    {
        using var dir = new TempDir();
        var init = CliRunner.Run(["keys", "init", "--store", dir.Path]);
        Assert.Equal(0, init.ExitCode);
        Assert.Contains("lmk_kcv", init.Stdout, StringComparison.Ordinal);

        string file = Path.Combine(dir.Path, "components.txt");
        File.WriteAllLines(file, ["0123456789ABCDEF0123456789ABCDEF", "1032547698BADCFE0011223344556677"]);
        var wrong = CliRunner.Run(["keys", "import", "--store", dir.Path, "--name", "zpk1", "--type", "zpk", "--components-file", file, "--kcv", "123456"]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("key check value is 7EAD09", wrong.Stderr, StringComparison.Ordinal);

        var ok = CliRunner.Run(["keys", "import", "--store", dir.Path, "--name", "zpk1", "--type", "zpk", "--components-file", file, "--kcv", "7EAD09"]);
        Assert.Equal(0, ok.ExitCode);

        var prompted = CliRunner.Run(["keys", "import", "--store", dir.Path, "--name", "tak1", "--type", "tak", "--components", "2", "--kcv", "7EAD09"],
            stdin: "0123456789ABCDEF0123456789ABCDEF\n1032547698BADCFE0011223344556677\n");
        Assert.Equal(0, prompted.ExitCode);
        Assert.DoesNotContain("0123456789ABCDEF", prompted.Stdout + prompted.Stderr, StringComparison.Ordinal);

        var list = CliRunner.Run(["keys", "list", "--store", dir.Path]);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("zpk1", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("7EAD09", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("S0096", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FFFFFFFF", list.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, CliRunner.Run(["keys", "remove", "--store", dir.Path, "--name", "zpk1"]).ExitCode);
        var again = CliRunner.Run(["keys", "remove", "--store", dir.Path, "--name", "zpk1"]);
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: ", again.Stderr, StringComparison.Ordinal);
    }
}
