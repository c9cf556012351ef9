namespace Switch.Core.Metrics;

/// <summary>
/// What the core reports for /metrics (the admin endpoint implements it with prometheus-net). Calls are on the hot
/// path: an implementation must not allocate per call or take a lock shared by all transactions.
/// </summary>
public interface ICoreMetrics
{
    /// <summary>A transaction was answered (or dropped: <paramref name="responseCode"/> ""), with its latency on the monotonic clock.</summary>
    void TransactionCompleted(string mti, string responseCode, double latencySeconds);

    /// <summary>A transaction entered (+1) or left (-1) the pipeline.</summary>
    void InFlight(int delta);

    /// <summary>The store-and-forward queue of <paramref name="endpoint"/> now holds <paramref name="depth"/> entries.</summary>
    void SafDepth(string endpoint, int depth);

    /// <summary>A duplicate request was answered from memory.</summary>
    void DuplicateAnswered();

    /// <summary>A late issuer response arrived after the timeout (dropped, logged).</summary>
    void LateResponse(string endpoint);
}

/// <summary>Metrics that go nowhere (tests, tools).</summary>
public sealed class NoCoreMetrics : ICoreMetrics
{
    /// <summary>The one instance.</summary>
    public static NoCoreMetrics Instance { get; } = new();

    private NoCoreMetrics() { }

    /// <inheritdoc/>
    public void TransactionCompleted(string mti, string responseCode, double latencySeconds) { }

    /// <inheritdoc/>
    public void InFlight(int delta) { }

    /// <inheritdoc/>
    public void SafDepth(string endpoint, int depth) { }

    /// <inheritdoc/>
    public void DuplicateAnswered() { }

    /// <inheritdoc/>
    public void LateResponse(string endpoint) { }
}
