using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Switch.Iso8583.Message;
using Switch.Network.Metrics;

namespace Switch.Network.Mux;

/// <summary>How a request sent through the MUX ended.</summary>
public enum MuxStatus
{
    /// <summary>The matching response arrived in time.</summary>
    Answered,

    /// <summary>No response within the timeout; a late one will be raised as <see cref="IsoMux.LateResponse"/>.</summary>
    TimedOut,

    /// <summary>Refused: a request with the same key is already in flight (replies could not be told apart).</summary>
    DuplicateInFlight,

    /// <summary>Refused: the pending table is at its maximum.</summary>
    PendingTableFull,

    /// <summary>Refused: no usable connection.</summary>
    NotConnected,

    /// <summary>The connection failed while sending; the peer may or may not have the request.</summary>
    SendFailed,

    /// <summary>Refused: the message's MTI is not a request (no response expected).</summary>
    NotARequest,

    /// <summary>Refused: a request with this key timed out moments ago; its late reply could be taken for this one's.</summary>
    KeyRecentlyTimedOut,
}

/// <summary>The outcome of one request: a status, the response when answered, and what went wrong otherwise.</summary>
public sealed record MuxResult(MuxStatus Status, IsoMessage? Response, string? Error, string? Key)
{
    /// <summary>True when <see cref="Response"/> holds the matching response.</summary>
    public bool IsAnswered => Status == MuxStatus.Answered;
}

/// <summary>A response that matched no waiting request: late (after its timeout) or unknown.</summary>
public sealed class LateResponseEventArgs(string key, IsoMessage response, bool wasTimedOut, string connector) : EventArgs
{
    /// <summary>The response's matching key.</summary>
    public string Key { get; } = key;

    /// <summary>The response (the core reverses a late approval).</summary>
    public IsoMessage Response { get; } = response;

    /// <summary>True when a request with this key timed out recently; false when the key was never pending.</summary>
    public bool WasTimedOut { get; } = wasTimedOut;

    /// <summary>The connector it arrived on.</summary>
    public string Connector { get; } = connector;
}

/// <summary>
/// A request awaiting its response: completes once with its <see cref="MuxResult"/> (answered, timed out, or
/// connector stopped), so a caller awaits it directly (no extra state machine per request). It is its own
/// value-task source: no <see cref="TaskCompletionSource{TResult}"/> and <see cref="Task"/> per request.
/// Its value task may be awaited once.
/// </summary>
public sealed class PendingRequest(string key, long deadlineMs, IsoMessage request, long timeoutMs) : IValueTaskSource<MuxResult>
{
    // Continuations run on the thread pool, never on the completing thread (the read loop or the sweeper).
    private ManualResetValueTaskSourceCore<MuxResult> _core = new() { RunContinuationsAsynchronously = true };
    private int _completed;

    /// <summary>The matching key.</summary>
    public string Key { get; } = key;

    /// <summary>When it times out (Environment.TickCount64 milliseconds).</summary>
    public long DeadlineMs { get; } = deadlineMs;

    /// <summary>The request (for the timeout log: MTI, STAN, masked PAN).</summary>
    public IsoMessage Request { get; } = request;

    /// <summary>The timeout it was given, in milliseconds.</summary>
    public long TimeoutMs { get; } = timeoutMs;

    /// <summary>True once completed (answered, timed out, failed or cancelled).</summary>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>The outcome, to be awaited once.</summary>
    public ValueTask<MuxResult> AsValueTask() => new(this, _core.Version);

    /// <summary>Completes with <paramref name="result"/>; false when already completed.</summary>
    public bool TrySetResult(MuxResult result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        _core.SetResult(result);
        return true;
    }

    /// <summary>Completes as cancelled (awaiting throws <see cref="OperationCanceledException"/>); false when already completed.</summary>
    public bool TrySetCanceled()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        _core.SetException(new OperationCanceledException("the request was cancelled"));
        return true;
    }

    MuxResult IValueTaskSource<MuxResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<MuxResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<MuxResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// The pending table of a connector: matches responses to waiting requests by <see cref="MuxKey"/>,
/// bounded in size, refusing a duplicate key in flight, and surfacing responses that come too late.
/// </summary>
public sealed class IsoMux : IDisposable
{
    // Many lock stripes: every request adds and every response removes; the default (one per core) makes
    // the read loop and the senders queue on the same two locks.
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(concurrencyLevel: 64, capacity: 1024, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _timedOut = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _timedOutOrder = new();
    private readonly NetworkMetrics _metrics;
    private readonly string _connector;
    private readonly int _lateWindowMs;
    private readonly Timer _sweeper;
    private int _count;

    /// <summary>Creates a MUX with a key and a bound on pending requests.</summary>
    public IsoMux(MuxKey key, int maxPending, NetworkMetrics metrics, string connector, int lateWindowMs = 60_000)
    {
        _lateWindowMs = lateWindowMs;
        // One timer for the whole table instead of one per request: timeouts fire up to one sweep late.
        _sweeper = new Timer(_ => ExpireOverdue(Environment.TickCount64), null, SweepIntervalMs, SweepIntervalMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        Key = key;
        MaxPending = maxPending;
        _metrics = metrics;
        _connector = connector;
    }

    /// <summary>Granularity of timeouts.</summary>
    public const int SweepIntervalMs = 20;

    /// <summary>How requests and responses are matched.</summary>
    public MuxKey Key { get; }

    /// <summary>Most requests awaiting a response at once.</summary>
    public int MaxPending { get; }

    /// <summary>Requests awaiting a response now.</summary>
    public int PendingCount => Volatile.Read(ref _count);

    /// <summary>Raised (on the connection's read loop: keep it short) for a response no request waits for.</summary>
    public event EventHandler<LateResponseEventArgs>? LateResponse;

    /// <summary>Called (on the sweeper thread) for a request that timed out, before its waiter is completed.</summary>
    internal Action<PendingRequest>? RequestTimedOut { get; set; }

    /// <summary>Registers a request; on refusal <paramref name="pending"/> is null and the status says why.</summary>
    public MuxStatus TryRegister(IsoMessage request, TimeSpan timeout, out string? key, out PendingRequest? pending)
    {
        pending = null;
        key = Key.ForRequest(request);
        if (key is null) return MuxStatus.NotARequest;
        if (Interlocked.Increment(ref _count) > MaxPending)
        {
            Interlocked.Decrement(ref _count);
            return MuxStatus.PendingTableFull;
        }
        // A lock-free look-up; the locked removal below only when the key is there.
        bool timedOutBefore = _timedOut.TryGetValue(key, out long expiredAtMs);
        if (timedOutBefore && Environment.TickCount64 - expiredAtMs < _lateWindowMs)
        {
            Interlocked.Decrement(ref _count);
            return MuxStatus.KeyRecentlyTimedOut;
        }
        long timeoutMs = (long)timeout.TotalMilliseconds;
        var tcs = new PendingRequest(key, Environment.TickCount64 + timeoutMs, request, timeoutMs);
        if (!_pending.TryAdd(key, tcs))
        {
            Interlocked.Decrement(ref _count);
            return MuxStatus.DuplicateInFlight;
        }
        // Past the late window the key is live again: its next response is not late.
        if (timedOutBefore)
        {
            _timedOut.TryRemove(key, out _);
        }
        else if (_timedOut.TryGetValue(key, out expiredAtMs) && Environment.TickCount64 - expiredAtMs < _lateWindowMs)
        {
            // A request with this key timed out between the look-up and the add (Expire marks the key
            // before it frees it): its late reply could be taken for this one's.
            if (_pending.TryRemove(new KeyValuePair<string, PendingRequest>(key, tcs))) Interlocked.Decrement(ref _count);
            return MuxStatus.KeyRecentlyTimedOut;
        }
        pending = tcs;
        return MuxStatus.Answered;
    }

    /// <summary>Forgets a request that was not sent or whose caller gave up.</summary>
    public void Cancel(PendingRequest pending)
    {
        if (_pending.TryRemove(new KeyValuePair<string, PendingRequest>(pending.Key, pending))) Interlocked.Decrement(ref _count);
        pending.TrySetCanceled();
    }

    /// <summary>Times out every request whose deadline has passed.</summary>
    public void ExpireOverdue(long nowMs)
    {
        foreach (var entry in _pending)
        {
            if (entry.Value.DeadlineMs <= nowMs) Expire(entry.Value);
        }
    }

    /// <summary>Forgets a timed-out request and remembers its key (bounded) so a late response is recognised.</summary>
    private void Expire(PendingRequest pending)
    {
        string key = pending.Key;
        // Marked before it is freed, so a new request registering the key meanwhile sees the mark.
        bool marked = _timedOut.TryAdd(key, Environment.TickCount64);
        if (!_pending.TryRemove(new KeyValuePair<string, PendingRequest>(key, pending)))
        {
            // Answered just now: not timed out after all.
            if (marked) _timedOut.TryRemove(key, out _);
            return;
        }
        Interlocked.Decrement(ref _count);
        _metrics.Timeout();
        _timedOut[key] = Environment.TickCount64;
        _timedOutOrder.Enqueue(key);
        // The memory of timed-out keys is bounded like the pending table.
        while (_timedOutOrder.Count > MaxPending && _timedOutOrder.TryDequeue(out var old)) _timedOut.TryRemove(old, out _);
        RequestTimedOut?.Invoke(pending);
        pending.TrySetResult(new MuxResult(MuxStatus.TimedOut, null, $"no response within {pending.TimeoutMs} ms", key));
    }

    /// <summary>Hands a response to its waiter; false (and <see cref="LateResponse"/> raised) when none waits.</summary>
    public bool Deliver(IsoMessage response)
    {
        string key = Key.ForResponse(response);
        if (_pending.TryRemove(key, out var tcs))
        {
            Interlocked.Decrement(ref _count);
            tcs.TrySetResult(new MuxResult(MuxStatus.Answered, response, null, tcs.Key));
            return true;
        }
        bool wasTimedOut = _timedOut.TryRemove(key, out _);
        if (wasTimedOut) _metrics.LateResponse();
        LateResponse?.Invoke(this, new LateResponseEventArgs(key, response, wasTimedOut, _connector));
        return false;
    }

    /// <summary>Stops the timeout sweeper.</summary>
    public void Dispose() => _sweeper.Dispose();

    /// <summary>Fails every waiting request (connector stopping).</summary>
    public void FailAll()
    {
        foreach (var entry in _pending)
        {
            if (_pending.TryRemove(entry)) Interlocked.Decrement(ref _count);
            entry.Value.TrySetResult(new MuxResult(MuxStatus.NotConnected, null, $"connector {_connector} stopped", entry.Key));
        }
    }
}
