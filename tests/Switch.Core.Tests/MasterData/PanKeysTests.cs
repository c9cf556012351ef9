using System.Security.Cryptography;
using Switch.Core.Keys;
using Switch.Journal;
using Switch.Security.Keys;

namespace Switch.Core.Tests.MasterData;

/// <summary>The journal's PAN keys from the key store: created when absent, loaded into a PanProtector, clear errors otherwise.</summary>
public sealed class PanKeysTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pan-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Created_keys_are_aes_256_generic_and_load_into_a_protector_that_hashes_with_the_hash_key()
    {
        var store = new FileKeyStore(_dir);
        using Lmk lmk = Lmk.Create(_dir);
        var names = new PanKeyOptions();

        Assert.Equal(["journal-pan-hash", "journal-pan-data"], PanKeys.CreateMissing(store, lmk, names));
        Assert.Empty(PanKeys.CreateMissing(store, lmk, names));
        StoredKey hashEntry = store.Get("journal-pan-hash");
        Assert.Equal(KeyType.Generic, hashEntry.Type);
        Assert.Equal(KeyAlgorithm.Aes, hashEntry.Algorithm);
        Assert.Equal(32, hashEntry.LengthBytes);

        var hashKey = new byte[32];
        lmk.Unwrap(hashEntry.Cryptogram, hashKey, out _, out _);
        using var protector = PanKeys.Load(store, lmk, names);
        // A test number, not a card.
        const string Pan = "4111111111111111";
        Assert.Equal(HMACSHA256.HashData(hashKey, "4111111111111111"u8), protector.Hash(Pan));
        using var again = PanKeys.Load(store, lmk, names);
        Assert.Equal(protector.Hash(Pan), again.Hash(Pan));
    }

    [Fact]
    public void A_missing_key_is_named_with_the_command_that_makes_it()
    {
        var store = new FileKeyStore(_dir);
        using Lmk lmk = Lmk.Create(_dir);
        var ex = Assert.Throws<PanKeyException>(() => PanKeys.Load(store, lmk, new PanKeyOptions { HashKeyRef = "my-hash", DataKeyRef = "my-data" }));
        Assert.Contains("'my-hash'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("journal.pan.hashKeyRef", ex.Message, StringComparison.Ordinal);
        Assert.Contains("./switch db seed demo", ex.Message, StringComparison.Ordinal);
        Assert.Contains("keys import", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_the_wrong_type_or_length_is_refused()
    {
        var store = new FileKeyStore(_dir);
        using Lmk lmk = Lmk.Create(_dir);
        byte[] tdes = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
        new KeyImport(lmk, store).FromComponents("journal-pan-hash", KeyType.Tpk, KeyAlgorithm.Tdes, [tdes], KeyImport.CheckValue(KeyAlgorithm.Tdes, tdes));
        PanKeys.CreateMissing(store, lmk, new PanKeyOptions());

        var ex = Assert.Throws<PanKeyException>(() => PanKeys.Load(store, lmk, new PanKeyOptions()));
        Assert.Contains("expected a Generic aes-256 key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_wrapped_under_another_LMK_is_refused()
    {
        var store = new FileKeyStore(_dir);
        using (Lmk first = Lmk.Create(_dir)) PanKeys.CreateMissing(store, first, new PanKeyOptions());
        using Lmk other = Lmk.Generate();
        var ex = Assert.Throws<PanKeyException>(() => PanKeys.Load(store, other, new PanKeyOptions()));
        Assert.Contains("cannot be unwrapped", ex.Message, StringComparison.Ordinal);
    }
}
