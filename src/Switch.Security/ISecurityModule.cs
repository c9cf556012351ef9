using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Security;

/// <summary>Keys derived by TDES DUKPT for one KSN (development tooling; a production HSM never reveals them).</summary>
public sealed record DukptTdesKeys(byte[] Ipek, byte[] PinKey, byte[] MacKey, byte[] DataKey);

/// <summary>Keys derived by AES DUKPT for one KSN (development tooling).</summary>
public sealed record DukptAesKeys(byte[] InitialKey, byte[] PinKey, byte[] MacGenerationKey, byte[] DataKey);

/// <summary>A PIN block under a key: the key, the block's ISO 9564 format and the PAN it is bound to.</summary>
/// <param name="Key">The PIN key (TPK, ZPK, or a DUKPT PIN key) the block is enciphered under.</param>
/// <param name="Format">ISO 9564-1 format.</param>
/// <param name="Block">Enciphered block: 8 bytes, or 16 for format 4.</param>
public readonly record struct EncryptedPinBlock(SecureKey Key, PinBlockFormat Format, ReadOnlyMemory<byte> Block);

/// <summary>
/// The authorization seam: the operations the switch calls while authorizing (PIN translate and verify, MAC generate
/// and verify, CVV verify, ARQC verify and ARPC, key load and KCV) on keys loaded into a back end (software, PKCS#11
/// token, payShield). No operation returns a clear PIN or a clear key (PCI PIN). Errors:
/// <see cref="SecurityInputException"/> for bad input, <see cref="HsmUnavailableException"/> when the HSM cannot
/// answer, <see cref="HsmErrorException"/> when it refuses; both HSM errors carry an <see cref="HsmFailureKind"/>.
/// </summary>
public interface ISecurityModule : IAsyncDisposable
{
    /// <summary>Back-end name ("software", "pkcs11", "payshield").</summary>
    string Name { get; }

    /// <summary>
    /// Loads a key from the key store (its LMK cryptogram or token label); the clear key never reaches the caller. The
    /// back end keeps the loaded key by reference: loading the same entry again returns the same loaded key, and the
    /// module releases it when disposed, so disposing the returned key is harmless either way.
    /// </summary>
    ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct);

    /// <summary>Key check value: first 3 bytes of a zero block enciphered under the key, uppercase hex.</summary>
    ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct);

    /// <summary>Translates a PIN block to another key (and optionally format); writes the new block, returns its length.</summary>
    ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct);

    /// <summary>Translates a PIN block from a DUKPT terminal (BDK + KSN) to a zone key; TDES (format 0/1/3) or AES (format 4) by the BDK's algorithm.</summary>
    ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct);

    /// <summary>Verifies a PIN block by IBM 3624 offset.</summary>
    ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct);

    /// <summary>Verifies a PIN block by Visa PVV.</summary>
    ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct);

    /// <summary>Generates a MAC; writes the full final block, returns its length (8 or 16).</summary>
    ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct);

    /// <summary>Verifies a MAC (full block or truncated to ≥ 4 bytes) in constant time.</summary>
    ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct);

    /// <summary>Verifies a CVV/CVC (service code as given; 000 for CVV2, 999 for iCVV).</summary>
    ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct);

    /// <summary>Verifies an ARQC.</summary>
    ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct);

    /// <summary>ARPC method 1 from the ARQC and the 2-byte authorisation response code.</summary>
    ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct);

    /// <summary>ARPC method 2 (4 bytes) from the ARQC, the 4-byte CSU and up to 8 bytes of proprietary data.</summary>
    ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct);
}

/// <summary>
/// Development, issuance and certification tooling on top of the authorization seam: clear key import, card-side
/// values (CVV, PVV, IBM offset, ARQC), PIN block encoding, PIN reveal and DUKPT key disclosure. The switch's host
/// never receives this interface (the host's module from <c>SecurityModuleFactory</c> does not implement it): a clear
/// PIN or a clear key never leaves the HSM in production.
/// </summary>
public interface ISecurityTooling : ISecurityModule
{
    /// <summary>Loads a clear key (key ceremony or development); the caller zeroes its buffer afterwards. Weak DES keys are refused.</summary>
    ValueTask<SecureKey> ImportClearKeyAsync(KeyType type, KeyAlgorithm algorithm, ReadOnlyMemory<byte> clearKey, CancellationToken ct);

    /// <summary>CVV/CVC (service code as given; 000 for CVV2, 999 for iCVV) — card issuance and simulators.</summary>
    ValueTask<string> GenerateCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, CancellationToken ct);

    /// <summary>Visa PVV for a PIN (card issuance and simulators).</summary>
    ValueTask<string> GeneratePvvAsync(SecureKey pvk, string pan, string pin, int pvki, CancellationToken ct);

    /// <summary>IBM 3624 offset for a PIN (card issuance and simulators).</summary>
    ValueTask<string> GenerateIbm3624OffsetAsync(SecureKey pvk, string pin, ReadOnlyMemory<byte> decimalizationTable, int pinLength, string validationData, CancellationToken ct);

    /// <summary>Generates an ARQC (card and simulator side).</summary>
    ValueTask<byte[]> GenerateArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>Enciphers a format 4 PIN block under an AES key.</summary>
    ValueTask<byte[]> EncodePinBlock4Async(SecureKey key, string pin, string pan, CancellationToken ct);

    /// <summary>Deciphers a PIN block and returns the clear PIN.</summary>
    ValueTask<string> RevealPinAsync(EncryptedPinBlock pin, string? pan, CancellationToken ct);

    /// <summary>TDES DUKPT keys for a KSN.</summary>
    ValueTask<DukptTdesKeys> DeriveDukptTdesAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, CancellationToken ct);

    /// <summary>AES DUKPT keys for a KSN.</summary>
    ValueTask<DukptAesKeys> DeriveDukptAesAsync(SecureKey bdk, int keyBytes, ReadOnlyMemory<byte> ksn, CancellationToken ct);
}
