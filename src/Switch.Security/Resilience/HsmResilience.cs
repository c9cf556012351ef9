using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Switch.Security.Resilience;

/// <summary>
/// Timeout and circuit-breaker settings (FAULTS.md F16). The circuit opens when, within <see cref="BreakerSamplingMs"/>,
/// at least <see cref="BreakerCallsMin"/> calls were made and at least <see cref="BreakerFailureRatio"/> of them failed
/// as unavailable or timed out; it stays open for <see cref="BreakerOpenMs"/>, then one trial call decides.
/// </summary>
public sealed record HsmResilienceOptions
{
    /// <summary>Longest an HSM call may take; the call's token is cancelled then (cooperative timeout).</summary>
    public int TimeoutMs { get; init; } = 1500;

    /// <summary>Share of failed calls in the sampling window that opens the circuit (0 &lt; ratio ≤ 1).</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Fewest calls in the sampling window before the ratio is judged (at least 2).</summary>
    public int BreakerCallsMin { get; init; } = 5;

    /// <summary>Length of the sampling window (at least 500).</summary>
    public int BreakerSamplingMs { get; init; } = 10_000;

    /// <summary>How long the circuit stays open before one trial call is let through (at least 500).</summary>
    public int BreakerOpenMs { get; init; } = 5000;

    /// <summary>The first setting that Polly would refuse, as (key, problem), or null when all are valid.</summary>
    public (string Key, string Problem)? FirstProblem() =>
        TimeoutMs is < 10 or > 600_000 ? ("timeoutMs", "must be 10-600000")
        : !(BreakerFailureRatio > 0 && BreakerFailureRatio <= 1) ? ("breakerFailureRatio", "must be greater than 0 and at most 1")
        : BreakerCallsMin is < 2 or > 100_000 ? ("breakerCallsMin", "must be 2-100000")
        : BreakerSamplingMs is < 500 or > 3_600_000 ? ("breakerSamplingMs", "must be 500-3600000")
        : BreakerOpenMs is < 500 or > 3_600_000 ? ("breakerOpenMs", "must be 500-3600000")
        : null;
}

/// <summary>
/// Builds the Polly v8 pipeline (circuit breaker around a timeout) used for the HSM; the same shape serves any remote
/// dependency (an issuer connector) with its own failure predicate.
/// </summary>
public static class HsmResilience
{
    /// <summary>
    /// A pipeline whose timeout cancels the call's token after <see cref="HsmResilienceOptions.TimeoutMs"/> and whose
    /// breaker counts timeouts and the failures <paramref name="countsAsFailure"/> accepts (never bad input).
    /// </summary>
    /// <remarks>
    /// <paramref name="withTimeout"/> false leaves the timeout out: for a dependency whose calls run synchronously (the
    /// software engine, a PKCS#11 token's blocking C_* calls) a cooperative timeout can never fire, and its timer would
    /// cost every call.
    /// </remarks>
    public static ResiliencePipeline CreatePipeline(HsmResilienceOptions options, Func<Exception, bool> countsAsFailure, CircuitBreakerStateProvider? state = null, TimeProvider? time = null, bool withTimeout = true)
    {
        if (options.FirstProblem() is { } problem) throw new ArgumentException($"{problem.Key}: {problem.Problem}", nameof(options));
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System };
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerCallsMin,
            SamplingDuration = TimeSpan.FromMilliseconds(options.BreakerSamplingMs),
            BreakDuration = TimeSpan.FromMilliseconds(options.BreakerOpenMs),
            StateProvider = state,
            ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } ex && (ex is TimeoutRejectedException || countsAsFailure(ex))),
        });
        if (withTimeout) builder.AddTimeout(TimeSpan.FromMilliseconds(options.TimeoutMs));
        return builder.Build();
    }

    /// <summary>The pipeline for a security module: only HSM unavailability counts (a wrong PIN means the HSM works).</summary>
    public static ResiliencePipeline CreateHsmPipeline(HsmResilienceOptions options, CircuitBreakerStateProvider? state = null, TimeProvider? time = null, bool withTimeout = true) =>
        CreatePipeline(options, static ex => ex is HsmUnavailableException, state, time, withTimeout);
}
