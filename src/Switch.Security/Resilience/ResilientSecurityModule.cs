using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Security.Resilience;

/// <summary>
/// Wraps a back end's authorization operations in a Polly pipeline (FAULTS.md F16): a timeout that cancels the call's
/// token (the back end stops waiting, nothing is abandoned) and a circuit breaker, so a slow or absent HSM becomes
/// <see cref="HsmUnavailableException"/> of kind <see cref="HsmFailureKind.Timeout"/> or
/// <see cref="HsmFailureKind.CircuitOpen"/>. Arguments travel as a value-tuple state into static lambdas: no
/// closure is allocated per call. It implements only <see cref="ISecurityModule"/>, so the host that holds it cannot
/// reach the development tooling of the back end it wraps.
/// </summary>
public sealed class ResilientSecurityModule : ISecurityModule
{
    private readonly ISecurityModule _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly int _timeoutMs;
    private readonly bool _ownsInner;

    /// <summary>Wraps <paramref name="inner"/>; disposes it with this module when <paramref name="ownsInner"/>.</summary>
    /// <param name="inner">The back end.</param>
    /// <param name="options">Timeout and breaker settings.</param>
    /// <param name="ownsInner">Dispose the back end with this module.</param>
    /// <param name="cancellableCalls">
    /// True for a back end that waits on the network (payShield), whose calls the timeout can cancel; false for one
    /// whose calls run synchronously (software, PKCS#11), which only the breaker guards.
    /// </param>
    /// <param name="time">Clock for the breaker and the timeout (tests).</param>
    public ResilientSecurityModule(ISecurityModule inner, HsmResilienceOptions options, bool ownsInner = false, bool cancellableCalls = true, TimeProvider? time = null)
    {
        _inner = inner;
        _ownsInner = ownsInner;
        _timeoutMs = options.TimeoutMs;
        _pipeline = HsmResilience.CreateHsmPipeline(options, _state, time, withTimeout: cancellableCalls);
    }

    /// <summary>The circuit breaker's state (for health checks and metrics); Polly moves Open to HalfOpen on the next call.</summary>
    public CircuitState Circuit => _state.CircuitState;

    /// <inheritdoc />
    public string Name => _inner.Name;

    /// <inheritdoc />
    public ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.LoadStoredKeyAsync(s.key, t), (Inner: _inner, key), ct));

    /// <inheritdoc />
    public ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.KeyCheckValueAsync(s.key, t), (Inner: _inner, key), ct));

    /// <inheritdoc />
    public ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.TranslatePinAsync(s.source, s.pan, s.destinationKey, s.destinationFormat, s.output, t),
            (Inner: _inner, source, pan, destinationKey, destinationFormat, output), ct));

    /// <inheritdoc />
    public ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.TranslateDukptPinAsync(s.bdk, s.ksn, s.sourceFormat, s.block, s.pan, s.destinationKey, s.destinationFormat, s.output, t),
            (Inner: _inner, bdk, ksn, sourceFormat, block, pan, destinationKey, destinationFormat, output), ct));

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.VerifyPinIbm3624Async(s.pin, s.pan, s.pvk, s.decimalizationTable, s.validationData, s.offset, t),
            (Inner: _inner, pin, pan, pvk, decimalizationTable, validationData, offset), ct));

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.VerifyPinPvvAsync(s.pin, s.pan, s.pvk, s.pvki, s.pvv, t), (Inner: _inner, pin, pan, pvk, pvki, pvv), ct));

    /// <inheritdoc />
    public ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.GenerateMacAsync(s.key, s.algorithm, s.padding, s.data, s.mac, t), (Inner: _inner, key, algorithm, padding, data, mac), ct));

    /// <inheritdoc />
    public ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.VerifyMacAsync(s.key, s.algorithm, s.padding, s.data, s.mac, t), (Inner: _inner, key, algorithm, padding, data, mac), ct));

    /// <inheritdoc />
    public ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.VerifyCvvAsync(s.cvk, s.pan, s.expiry, s.serviceCode, s.cvv, t), (Inner: _inner, cvk, pan, expiry, serviceCode, cvv), ct));

    /// <inheritdoc />
    public ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.VerifyArqcAsync(s.imk, s.scheme, s.card, s.data, s.arqc, t), (Inner: _inner, imk, scheme, card, data, arqc), ct));

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.GenerateArpcMethod1Async(s.imk, s.scheme, s.card, s.arqc, s.arc, t), (Inner: _inner, imk, scheme, card, arqc, arc), ct));

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct) =>
        Run(_pipeline.ExecuteAsync(static (s, t) => s.Inner.GenerateArpcMethod2Async(s.imk, s.scheme, s.card, s.arqc, s.csu, s.proprietaryData, t),
            (Inner: _inner, imk, scheme, card, arqc, csu, proprietaryData), ct));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsInner ? _inner.DisposeAsync() : ValueTask.CompletedTask;

    // Synchronous back ends (software, PKCS#11) complete at once: no state machine on that path.
    private ValueTask<T> Run<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending : new(AwaitAsync(pending));

    private async Task<T> AwaitAsync<T>(ValueTask<T> pending)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new HsmUnavailableException($"{_inner.Name}: no answer within {_timeoutMs} ms", ex, HsmFailureKind.Timeout);
        }
        catch (BrokenCircuitException ex)
        {
            throw new HsmUnavailableException($"{_inner.Name}: circuit open after repeated HSM failures; declining without calling the HSM", ex, HsmFailureKind.CircuitOpen);
        }
    }
}
