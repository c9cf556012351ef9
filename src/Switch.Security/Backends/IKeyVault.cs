using Switch.Security.Keys;

namespace Switch.Security.Backends;

/// <summary>
/// An engine that keeps keys itself, addressed by label (a PKCS#11 token's persistent objects): the key store then
/// records only the label, never a cryptogram the process could unwrap.
/// </summary>
public interface IKeyVault
{
    /// <summary>Prefix of key store "cryptograms" that name a vault label instead.</summary>
    const string ReferencePrefix = "pkcs11:";

    /// <summary>Stores a clear key as a persistent, sensitive, non-extractable object under <paramref name="label"/>.</summary>
    KeyHandle Store(string label, KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey);

    /// <summary>The key stored under <paramref name="label"/>, or null.</summary>
    KeyHandle? Find(string label);

    /// <summary>Destroys the objects stored under <paramref name="label"/>; false when there were none.</summary>
    bool Delete(string label);
}
