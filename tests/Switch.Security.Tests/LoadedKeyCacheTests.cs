using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Security.Tests;

/// <summary>A loaded stored key is kept by reference: a second load imports nothing, and the module releases it.</summary>
[Collection("softhsm")]
public sealed class LoadedKeyCacheTests(SoftHsmToken token)
{
    private const string Zpk = "FD2C1F8DD5950801F97896E143A544D3";

    private static StoredKey Wrap(Lmk lmk, string name, string hex, string kcv) =>
        new(name, KeyType.Zpk, KeyAlgorithm.Tdes, 16, kcv, DateTimeOffset.UtcNow, lmk.Wrap(KeyType.Zpk, KeyAlgorithm.Tdes, Convert.FromHexString(hex)));

    [Fact]
    public async Task Loading_the_same_stored_key_twice_creates_no_new_token_objects()
    {
        using var lmk = Lmk.Generate();
        StoredKey entry = Wrap(lmk, "zpk.cache", Zpk, KeyImport.CheckValue(KeyAlgorithm.Tdes, Convert.FromHexString(Zpk)));
        int before = token.Engine.SecretKeyObjectCount();
        var module = new ComposedSecurityModule(token.Engine, lmk, ownsEngine: false);
        try
        {
            SecureKey first = await module.LoadStoredKeyAsync(entry, TestTimeout.Token);
            int afterFirst = token.Engine.SecretKeyObjectCount();
            Assert.Equal(before + 4, afterFirst); // the key, its two single-DES halves and its DUKPT variant
            first.Dispose(); // harmless: the module owns the loaded key
            SecureKey second = await module.LoadStoredKeyAsync(entry, TestTimeout.Token);
            Assert.Same(first, second);
            Assert.Equal(afterFirst, token.Engine.SecretKeyObjectCount());
            Assert.Equal(entry.Kcv, await module.KeyCheckValueAsync(second, TestTimeout.Token));
        }
        finally
        {
            await module.DisposeAsync();
        }
        Assert.Equal(before, token.Engine.SecretKeyObjectCount());
    }

    [Fact]
    public async Task A_different_cryptogram_under_the_same_name_is_a_different_loaded_key()
    {
        using var lmk = Lmk.Generate();
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine(), lmk);
        StoredKey a = Wrap(lmk, "zpk.a", Zpk, "X"), b = Wrap(lmk, "zpk.a", Zpk, "X");
        SecureKey ka = await module.LoadStoredKeyAsync(a, TestTimeout.Token);
        SecureKey kb = await module.LoadStoredKeyAsync(b, TestTimeout.Token);
        Assert.NotSame(ka, kb);
        Assert.Same(ka, await module.LoadStoredKeyAsync(a, TestTimeout.Token));
        Assert.Equal(2, module.LoadedKeyCount);
    }

    [Fact]
    public async Task The_cache_is_bounded_and_keys_beyond_it_are_owned_by_their_caller()
    {
        using var lmk = Lmk.Generate();
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine(), lmk, loadedKeysMax: 2);
        var keys = new List<SecureKey>();
        for (int i = 0; i < 4; i++) keys.Add(await module.LoadStoredKeyAsync(Wrap(lmk, $"zpk.{i}", Zpk, "X"), TestTimeout.Token));
        Assert.Equal(2, module.LoadedKeyCount);
        StoredKey extra = Wrap(lmk, "zpk.extra", Zpk, "X");
        SecureKey once = await module.LoadStoredKeyAsync(extra, TestTimeout.Token);
        Assert.NotSame(once, await module.LoadStoredKeyAsync(extra, TestTimeout.Token));
        Assert.Equal(2, module.LoadedKeyCount);
    }
}
