using System.Security.Cryptography;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Primitives;

namespace Switch.Security.Keys;

/// <summary>
/// Key entry for the file key store: from clear components (XOR) or from a cryptogram under a stored ZMK. Only after
/// its check value matches the one the custodians expect is the key wrapped under the LMK, or, with a vault (a
/// PKCS#11 token), stored there as a persistent non-extractable object that the store names by label.
/// </summary>
/// <param name="lmk">The LMK (needed unless every key involved lives in the vault).</param>
/// <param name="store">The key store.</param>
/// <param name="vault">Where to keep new keys instead of wrapping them under the LMK.</param>
public sealed class KeyImport(Lmk? lmk, FileKeyStore store, IKeyVault? vault = null)
{
    /// <summary>Most components a key may be split into.</summary>
    public const int ComponentsMax = 9;

    /// <summary>Check value of a clear key or component (3 bytes of a zero block enciphered under it).</summary>
    public static string CheckValue(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        using var engine = new SoftwareCipherEngine();
        using KeyHandle h = engine.Import(algorithm, clearKey);
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        engine.EncryptEcb(h, KeyPart.Whole, block[..h.BlockBytes], block[..h.BlockBytes]);
        return Hex.Format(block[..3]);
    }

    /// <summary>XORs the components into a key, checks its KCV and stores it under the LMK.</summary>
    public StoredKey FromComponents(string name, KeyType type, KeyAlgorithm algorithm, IReadOnlyList<byte[]> components, string expectedKcv)
    {
        FileKeyStore.ValidateName(name);
        if (components.Count is 0 or > ComponentsMax) throw new SecurityInputException($"components: 1 to {ComponentsMax}, got {components.Count}");
        int length = components[0].Length;
        KeyLengths.Require(algorithm, length, "component 1");
        var key = new byte[length];
        try
        {
            for (int c = 0; c < components.Count; c++)
            {
                if (components[c].Length != length) throw new SecurityInputException($"component {c + 1}: must be {length} bytes like component 1, got {components[c].Length}");
                for (int i = 0; i < length; i++) key[i] ^= components[c][i];
            }
            return Store(name, type, algorithm, key, expectedKcv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Deciphers a key received under a stored ZMK (ECB, the classic X9.17 exchange), checks its KCV and stores it.</summary>
    public StoredKey FromZmk(string name, KeyType type, KeyAlgorithm algorithm, string zmkName, ReadOnlySpan<byte> cryptogram, string expectedKcv)
    {
        FileKeyStore.ValidateName(name);
        StoredKey zmkEntry = store.Get(zmkName);
        if (zmkEntry.Type != KeyType.Zmk) throw new SecurityInputException($"zmk: '{zmkName}' is a {zmkEntry.Type}, not a ZMK");
        KeyLengths.Require(algorithm, cryptogram.Length, "cryptogram");
        var key = new byte[cryptogram.Length];
        try
        {
            (ICipherEngine engine, KeyHandle zmk, bool ownsEngine) = OpenZmk(zmkEntry);
            try
            {
                if (cryptogram.Length % zmk.BlockBytes != 0) throw new SecurityInputException($"cryptogram: not a whole number of {zmk.BlockBytes}-byte blocks");
                engine.DecryptEcb(zmk, KeyPart.Whole, cryptogram, key);
            }
            finally
            {
                zmk.Dispose();
                if (ownsEngine) engine.Dispose();
            }
            return Store(name, type, algorithm, key, expectedKcv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // A ZMK in the vault deciphers inside the token; one under the LMK is unwrapped into the software engine.
    private (ICipherEngine Engine, KeyHandle Zmk, bool OwnsEngine) OpenZmk(StoredKey zmkEntry)
    {
        if (zmkEntry.Cryptogram.StartsWith(IKeyVault.ReferencePrefix, StringComparison.Ordinal))
        {
            string label = zmkEntry.Cryptogram[IKeyVault.ReferencePrefix.Length..];
            if (vault is not ICipherEngine tokenEngine) throw new SecurityInputException($"zmk: '{zmkEntry.Name}' lives on a PKCS#11 token; import with --backend pkcs11");
            KeyHandle h = vault.Find(label) ?? throw new SecurityInputException($"zmk: '{zmkEntry.Name}' not found on the token");
            return (tokenEngine, h, false);
        }
        Span<byte> zmkClear = stackalloc byte[32];
        try
        {
            int zmkBytes = RequireLmk().Unwrap(zmkEntry.Cryptogram, zmkClear, out _, out KeyAlgorithm zmkAlgorithm);
            var software = new SoftwareCipherEngine();
            return (software, software.Import(zmkAlgorithm, zmkClear[..zmkBytes]), true);
        }
        finally
        {
            zmkClear.Clear();
        }
    }

    private Lmk RequireLmk() => lmk ?? throw new SecurityInputException("lmk: no LMK in the key store; run `switch keys init`");

    private StoredKey Store(string name, KeyType type, KeyAlgorithm algorithm, ReadOnlySpan<byte> key, string expectedKcv)
    {
        WeakKeys.Refuse(algorithm, key, "key");
        string kcv = CheckValue(algorithm, key);
        string expected = expectedKcv.Trim().ToUpperInvariant();
        if (expected.Length < 4 || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(kcv[..expected.Length]), System.Text.Encoding.ASCII.GetBytes(expected)))
        {
            // Printing the computed KCV is safe (it is how custodians compare) and tells them which component is off.
            throw new SecurityInputException($"kcv: key check value is {kcv}, expected {expected}; key not stored (wrong component or cryptogram?)");
        }
        if (store.List().Any(k => k.Name == name)) throw new SecurityInputException($"name: key '{name}' already exists (remove it first)");
        string cryptogram;
        if (vault is not null)
        {
            using KeyHandle stored = vault.Store(name, algorithm, key);
            cryptogram = IKeyVault.ReferencePrefix + name;
        }
        else
        {
            cryptogram = RequireLmk().Wrap(type, algorithm, key);
        }
        var entry = new StoredKey(name, type, algorithm, key.Length, kcv, DateTimeOffset.UtcNow, cryptogram);
        store.Add(entry);
        return entry;
    }
}
