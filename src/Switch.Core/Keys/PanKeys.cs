using System.Security.Cryptography;
using Switch.Journal;
using Switch.Journal.Pan;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Keys;

namespace Switch.Core.Keys;

/// <summary>
/// The journal's two PAN keys (hash and data, names from <see cref="PanKeyOptions"/>): AES-256 <see cref="KeyType.Generic"/>
/// keys in the key store under the LMK. The host unwraps these two itself and hands them to <see cref="PanProtector"/>,
/// because hashing and encrypting every PAN runs in process on the hot path (50,000 transactions a second would be
/// 100,000 HSM round trips); keeping the PAN data keys in the HSM is future work (docs/demo.md, "PAN keys").
/// </summary>
public static class PanKeys
{
    /// <summary>Bytes of each PAN key (AES-256; the HMAC key has the same length).</summary>
    public const int KeyBytes = 32;

    /// <summary>A protector over the two keys; a missing or unsuitable key is a <see cref="PanKeyException"/> naming it.</summary>
    public static PanProtector Load(FileKeyStore store, Lmk lmk, PanKeyOptions names)
    {
        byte[] hashKey = new byte[KeyBytes], dataKey = new byte[KeyBytes];
        try
        {
            Unwrap(store, lmk, names.HashKeyRef, "journal.pan.hashKeyRef", hashKey);
            Unwrap(store, lmk, names.DataKeyRef, "journal.pan.dataKeyRef", dataKey);
            return new PanProtector(hashKey, dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hashKey);
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Creates each of the two keys the store lacks (random, under the LMK); returns the names it created.</summary>
    public static IReadOnlyList<string> CreateMissing(FileKeyStore store, Lmk lmk, PanKeyOptions names)
    {
        var created = new List<string>();
        foreach (string name in new[] { names.HashKeyRef, names.DataKeyRef })
        {
            if (store.List().Any(k => k.Name == name)) continue;
            byte[] key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                new KeyImport(lmk, store).FromComponents(name, KeyType.Generic, KeyAlgorithm.Aes, [key], KeyImport.CheckValue(KeyAlgorithm.Aes, key));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
            created.Add(name);
        }
        return created;
    }

    private static void Unwrap(FileKeyStore store, Lmk lmk, string name, string configKey, Span<byte> destination)
    {
        StoredKey entry;
        try
        {
            entry = store.Get(name);
        }
        catch (KeyNotFoundException)
        {
            throw new PanKeyException($"the PAN key '{name}' ({configKey}) is not in the key store {store.Directory}; " +
                "run `./switch db seed demo` (development) or import it with `./switch keys import`");
        }
        if (entry.Cryptogram.StartsWith(IKeyVault.ReferencePrefix, StringComparison.Ordinal))
            throw new PanKeyException($"the PAN key '{name}' ({configKey}) lives on a PKCS#11 token; the PAN keys must be under the LMK (HSM-held PAN keys are future work)");
        if (entry.Type != KeyType.Generic || entry.Algorithm != KeyAlgorithm.Aes || entry.LengthBytes != KeyBytes)
            throw new PanKeyException($"the PAN key '{name}' ({configKey}) is {entry.Type} {KeyLengths.Name(entry.Algorithm)}-{entry.LengthBytes * 8}; expected a Generic aes-256 key");
        Span<byte> clear = stackalloc byte[KeyBytes];
        try
        {
            int n = lmk.Unwrap(entry.Cryptogram, clear, out _, out _);
            if (n != KeyBytes) throw new PanKeyException($"the PAN key '{name}' ({configKey}) unwraps to {n} bytes; expected {KeyBytes}");
            clear.CopyTo(destination);
        }
        catch (SecurityInputException ex)
        {
            throw new PanKeyException($"the PAN key '{name}' ({configKey}) cannot be unwrapped: {ex.Message}");
        }
        finally
        {
            clear.Clear();
        }
    }
}

/// <summary>A PAN key is missing or unsuitable; the message names the key and what to run.</summary>
public sealed class PanKeyException(string message) : Exception(message);
