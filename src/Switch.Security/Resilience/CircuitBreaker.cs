namespace Switch.Security.Resilience;

/// <summary>Settings for <see cref="ResilientSecurityModule"/>.</summary>
public sealed record HsmResilienceOptions
{
    /// <summary>Longest an HSM call may take before the transaction is declined.</summary>
    public int TimeoutMs { get; init; } = 1500;

    /// <summary>Consecutive unavailability failures that open the circuit.</summary>
    public int FailuresToOpen { get; init; } = 5;

    /// <summary>How long the circuit stays open before one trial call is let through.</summary>
    public int OpenMs { get; init; } = 5000;
}

/// <summary>State of the circuit.</summary>
public enum CircuitState
{
    /// <summary>Calls go through.</summary>
    Closed,
    /// <summary>Calls fail fast without touching the HSM.</summary>
    Open,
    /// <summary>One trial call is in flight; its outcome closes or re-opens the circuit.</summary>
    HalfOpen,
}

/// <summary>
/// A consecutive-failure circuit breaker on the monotonic clock (a wall-clock step cannot open or close it early).
/// Thread-safe; only HSM unavailability counts as failure, never a bad PIN or bad input.
/// </summary>
public sealed class CircuitBreaker(HsmResilienceOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private int _failures;
    private long _openedAt;
    private CircuitState _state = CircuitState.Closed;
    private bool _trialInFlight;

    /// <summary>Current state (an open circuit whose time is up reports half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (_gate) return _state == CircuitState.Open && OpenElapsed() ? CircuitState.HalfOpen : _state;
        }
    }

    /// <summary>True when a call may go to the HSM now.</summary>
    public bool TryEnter()
    {
        lock (_gate)
        {
            if (_state == CircuitState.Closed) return true;
            if (_state == CircuitState.Open && !OpenElapsed()) return false;
            if (_trialInFlight) return false;
            _state = CircuitState.HalfOpen;
            _trialInFlight = true;
            return true;
        }
    }

    /// <summary>Records a call that reached the HSM and got an answer.</summary>
    public void Success()
    {
        lock (_gate)
        {
            _failures = 0;
            _trialInFlight = false;
            _state = CircuitState.Closed;
        }
    }

    /// <summary>Records an unavailability (timeout, connection refused, token gone).</summary>
    public void Failure()
    {
        lock (_gate)
        {
            _trialInFlight = false;
            _failures++;
            if (_state == CircuitState.HalfOpen || _failures >= options.FailuresToOpen)
            {
                _state = CircuitState.Open;
                _openedAt = _time.GetTimestamp();
            }
        }
    }

    private bool OpenElapsed() => _time.GetElapsedTime(_openedAt).TotalMilliseconds >= options.OpenMs;
}
