using Switch.Security.Backends;

namespace Switch.Security.Keys;

/// <summary>
/// A key loaded into one security module: its type, algorithm and check value, plus the back end's own
/// reference (an engine handle or an LMK cryptogram). It never exposes clear key bytes.
/// </summary>
public sealed class SecureKey : IDisposable
{
    private readonly bool _ownsHandle;

    internal SecureKey(KeyType type, KeyAlgorithm algorithm, int lengthBytes, KeyHandle? handle, string? lmkCryptogram, bool ownsHandle = true)
    {
        _ownsHandle = ownsHandle;
        Type = type;
        Algorithm = algorithm;
        LengthBytes = lengthBytes;
        Handle = handle;
        LmkCryptogram = lmkCryptogram;
    }

    /// <summary>What the key may be used for.</summary>
    public KeyType Type { get; }

    /// <summary>TDES or AES.</summary>
    public KeyAlgorithm Algorithm { get; }

    /// <summary>Key length in bytes.</summary>
    public int LengthBytes { get; }

    /// <summary>Engine handle (software and PKCS#11 back ends).</summary>
    internal KeyHandle? Handle { get; }

    /// <summary>The key under the HSM's LMK (payShield back end).</summary>
    internal string? LmkCryptogram { get; }

    /// <summary>The engine handle, or a programmer error when the key belongs to another kind of back end.</summary>
    internal KeyHandle RequireHandle() => Handle ?? throw new InvalidOperationException("key was loaded into a different security module");

    /// <summary>Releases the back end's reference (a key the module keeps loaded by reference is released by the module).</summary>
    public void Dispose()
    {
        if (_ownsHandle) Handle?.Dispose();
    }

    /// <summary>Describes the key without material: type, algorithm, length.</summary>
    public override string ToString() => $"{Type} {KeyLengths.Name(Algorithm)}-{LengthBytes * 8}";
}
