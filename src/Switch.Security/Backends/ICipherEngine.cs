using Switch.Security.Keys;

namespace Switch.Security.Backends;

/// <summary>Which key a primitive operation uses: the whole key or a key derived from it for composed algorithms.</summary>
public enum KeyPart
{
    /// <summary>The key itself (TDES or AES).</summary>
    Whole,
    /// <summary>Single DES with the left half of a TDES key (retail MAC, CVV).</summary>
    Left,
    /// <summary>Single DES with the right half of a TDES key (retail MAC).</summary>
    Right,
    /// <summary>The key XOR C0C0C0C000000000C0C0C0C000000000 (X9.24-1 DUKPT IPEK right half).</summary>
    DukptVariant,
}

/// <summary>A key loaded into a cipher engine: the engine's own reference, never the clear bytes to callers.</summary>
public abstract class KeyHandle : IDisposable
{
    /// <summary>Creates a handle for a key of this algorithm and length.</summary>
    protected KeyHandle(KeyAlgorithm algorithm, int lengthBytes)
    {
        Algorithm = algorithm;
        LengthBytes = lengthBytes;
    }

    /// <summary>TDES or AES.</summary>
    public KeyAlgorithm Algorithm { get; }

    /// <summary>Key length in bytes.</summary>
    public int LengthBytes { get; }

    /// <summary>Cipher block size in bytes (8 or 16).</summary>
    public int BlockBytes => KeyLengths.BlockBytes(Algorithm);

    /// <summary>Releases the engine resources (zeroes software key material, destroys token session objects).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing) { }
}

/// <summary>
/// The primitive operations a back end performs natively (ECB, CBC, CMAC on loaded keys). The composed
/// algorithms (PIN blocks, retail MAC, CVV, PVV, DUKPT, EMV) are written once on top of this seam, so the
/// software engine and a PKCS#11 token give identical answers.
/// </summary>
public interface ICipherEngine : IDisposable
{
    /// <summary>Back-end name for logs and errors ("software", "pkcs11").</summary>
    string Name { get; }

    /// <summary>Loads a clear key (the caller zeroes its copy); the engine keeps it as it sees fit.</summary>
    KeyHandle Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey);

    /// <summary>ECB-encrypts whole blocks.</summary>
    void EncryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>ECB-decrypts whole blocks.</summary>
    void DecryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>CBC-encrypts whole blocks with the given IV.</summary>
    void EncryptCbc(KeyHandle key, KeyPart part, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>
    /// A new key whose value is the ECB encryption of <paramref name="data"/> under <paramref name="parent"/>, truncated to
    /// <paramref name="keyBytes"/> (EMV master and session keys, X9.24-3 AES DUKPT keys). A token does this with
    /// C_DeriveKey so the derived key never leaves it.
    /// </summary>
    KeyHandle DeriveByEncryption(KeyHandle parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data, int keyBytes);

    /// <summary>CMAC (NIST SP 800-38B) over <paramref name="data"/>; writes one full block.</summary>
    void Cmac(KeyHandle key, ReadOnlySpan<byte> data, Span<byte> mac);
}
