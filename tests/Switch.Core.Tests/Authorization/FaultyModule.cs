using Switch.Security;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Core.Tests.Authorization;

/// <summary>
/// Fault injection over the real software module: passes every call through, except that while <see cref="Failure"/>
/// is set the PIN and CVV verifies throw it (the HSM down or refusing), as the resilient module would.
/// </summary>
internal sealed class FaultyModule(ISecurityModule inner) : ISecurityModule
{
    public Exception? Failure { get; set; }

    public string Name => inner.Name;

    private void ThrowIfFailing()
    {
        if (Failure is not null) throw Failure;
    }

    public ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct) => inner.LoadStoredKeyAsync(key, ct);

    public ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct) => inner.KeyCheckValueAsync(key, ct);

    public ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct) =>
        inner.TranslatePinAsync(source, pan, destinationKey, destinationFormat, output, ct);

    public ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct)
    {
        ThrowIfFailing();
        return inner.TranslateDukptPinAsync(bdk, ksn, sourceFormat, block, pan, destinationKey, destinationFormat, output, ct);
    }

    public ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct) =>
        inner.VerifyPinIbm3624Async(pin, pan, pvk, decimalizationTable, validationData, offset, ct);

    public ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct)
    {
        ThrowIfFailing();
        return inner.VerifyPinPvvAsync(pin, pan, pvk, pvki, pvv, ct);
    }

    public ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct) =>
        inner.GenerateMacAsync(key, algorithm, padding, data, mac, ct);

    public ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct) =>
        inner.VerifyMacAsync(key, algorithm, padding, data, mac, ct);

    public ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct)
    {
        ThrowIfFailing();
        return inner.VerifyCvvAsync(cvk, pan, expiry, serviceCode, cvv, ct);
    }

    public ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct) =>
        inner.VerifyArqcAsync(imk, scheme, card, data, arqc, ct);

    public ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct) =>
        inner.GenerateArpcMethod1Async(imk, scheme, card, arqc, arc, ct);

    public ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct) =>
        inner.GenerateArpcMethod2Async(imk, scheme, card, arqc, csu, proprietaryData, ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the fixture disposes the inner module
}
