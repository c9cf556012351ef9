using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Security.Resilience;

/// <summary>
/// Wraps any back end with a bounded timeout and a circuit breaker (FAULTS.md F16): a slow or absent HSM turns into
/// <see cref="HsmUnavailableException"/> within <see cref="HsmResilienceOptions.TimeoutMs"/>, and after repeated
/// failures calls fail fast until a trial call succeeds. Calls that complete synchronously (software, PKCS#11) pay
/// no timer or allocation.
/// </summary>
public sealed class ResilientSecurityModule(ISecurityModule inner, HsmResilienceOptions options, TimeProvider? time = null) : ISecurityModule
{
    private readonly ISecurityModule _inner = inner;
    private readonly CircuitBreaker _breaker = new(options, time);

    /// <summary>The circuit breaker's state (for health checks and metrics).</summary>
    public CircuitState Circuit => _breaker.State;

    /// <inheritdoc />
    public string Name => _inner.Name;

    /// <inheritdoc />
    public ValueTask<SecureKey> ImportClearKeyAsync(KeyType type, KeyAlgorithm algorithm, ReadOnlyMemory<byte> clearKey, CancellationToken ct = default) =>
        RunAsync(t => _inner.ImportClearKeyAsync(type, algorithm, clearKey, t), ct);

    /// <inheritdoc />
    public ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct = default) =>
        RunAsync(t => _inner.LoadStoredKeyAsync(key, t), ct);

    /// <inheritdoc />
    public ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct = default) =>
        RunAsync(t => _inner.KeyCheckValueAsync(key, t), ct);

    /// <inheritdoc />
    public ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct = default) =>
        RunAsync(t => _inner.TranslatePinAsync(source, pan, destinationKey, destinationFormat, output, t), ct);

    /// <inheritdoc />
    public ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct = default) =>
        RunAsync(t => _inner.TranslateDukptPinAsync(bdk, ksn, sourceFormat, block, pan, destinationKey, destinationFormat, output, t), ct);

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct = default) =>
        RunAsync(t => _inner.VerifyPinIbm3624Async(pin, pan, pvk, decimalizationTable, validationData, offset, t), ct);

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct = default) =>
        RunAsync(t => _inner.VerifyPinPvvAsync(pin, pan, pvk, pvki, pvv, t), ct);

    /// <inheritdoc />
    public ValueTask<string> GeneratePvvAsync(SecureKey pvk, string pan, string pin, int pvki, CancellationToken ct = default) =>
        RunAsync(t => _inner.GeneratePvvAsync(pvk, pan, pin, pvki, t), ct);

    /// <inheritdoc />
    public ValueTask<string> GenerateIbm3624OffsetAsync(SecureKey pvk, string pin, ReadOnlyMemory<byte> decimalizationTable, int pinLength, string validationData, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateIbm3624OffsetAsync(pvk, pin, decimalizationTable, pinLength, validationData, t), ct);

    /// <inheritdoc />
    public ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateMacAsync(key, algorithm, padding, data, mac, t), ct);

    /// <inheritdoc />
    public ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct = default) =>
        RunAsync(t => _inner.VerifyMacAsync(key, algorithm, padding, data, mac, t), ct);

    /// <inheritdoc />
    public ValueTask<string> GenerateCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateCvvAsync(cvk, pan, expiry, serviceCode, t), ct);

    /// <inheritdoc />
    public ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct = default) =>
        RunAsync(t => _inner.VerifyCvvAsync(cvk, pan, expiry, serviceCode, cvv, t), ct);

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateArqcAsync(imk, scheme, card, data, t), ct);

    /// <inheritdoc />
    public ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct = default) =>
        RunAsync(t => _inner.VerifyArqcAsync(imk, scheme, card, data, arqc, t), ct);

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateArpcMethod1Async(imk, scheme, card, arqc, arc, t), ct);

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct = default) =>
        RunAsync(t => _inner.GenerateArpcMethod2Async(imk, scheme, card, arqc, csu, proprietaryData, t), ct);

    /// <inheritdoc />
    public ValueTask<byte[]> EncodePinBlock4Async(SecureKey key, string pin, string pan, CancellationToken ct = default) =>
        RunAsync(t => _inner.EncodePinBlock4Async(key, pin, pan, t), ct);

    /// <inheritdoc />
    public ValueTask<string> RevealPinAsync(EncryptedPinBlock pin, string? pan, CancellationToken ct = default) =>
        RunAsync(t => _inner.RevealPinAsync(pin, pan, t), ct);

    /// <inheritdoc />
    public ValueTask<DukptTdesKeys> DeriveDukptTdesAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, CancellationToken ct = default) =>
        RunAsync(t => _inner.DeriveDukptTdesAsync(bdk, ksn, t), ct);

    /// <inheritdoc />
    public ValueTask<DukptAesKeys> DeriveDukptAesAsync(SecureKey bdk, int keyBytes, ReadOnlyMemory<byte> ksn, CancellationToken ct = default) =>
        RunAsync(t => _inner.DeriveDukptAesAsync(bdk, keyBytes, ksn, t), ct);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private ValueTask<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken ct)
    {
        if (!_breaker.TryEnter()) throw new HsmUnavailableException($"{_inner.Name}: circuit open after repeated HSM failures; declining without calling the HSM");
        ValueTask<T> pending;
        try
        {
            pending = call(ct);
        }
        catch (Exception ex)
        {
            Record(ex);
            throw;
        }
        if (pending.IsCompletedSuccessfully)
        {
            _breaker.Success();
            return pending;
        }
        return new ValueTask<T>(AwaitAsync(pending, ct));
    }

    private async Task<T> AwaitAsync<T>(ValueTask<T> pending, CancellationToken ct)
    {
        try
        {
            T result = await pending.AsTask().WaitAsync(TimeSpan.FromMilliseconds(options.TimeoutMs), ct).ConfigureAwait(false);
            _breaker.Success();
            return result;
        }
        catch (TimeoutException ex)
        {
            _breaker.Failure();
            throw new HsmUnavailableException($"{_inner.Name}: no answer within {options.TimeoutMs} ms", ex);
        }
        catch (Exception ex)
        {
            Record(ex);
            throw;
        }
    }

    private void Record(Exception ex)
    {
        // Only unavailability trips the breaker; a wrong PIN or malformed block means the HSM is working.
        if (ex is HsmUnavailableException) _breaker.Failure();
        else if (ex is not OperationCanceledException) _breaker.Success();
    }
}
