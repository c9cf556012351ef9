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
internal sealed class PendingRequest(string key, long deadlineMs, IsoMessage request, long timeoutMs) : IValueTaskSource<MuxResult>, IThreadPoolWorkItem
{
    // Continuations run on the thread pool, never on the completing thread (the read loop or the sweeper):
    // the request is itself the work item that completes it there (nothing allocated to schedule it).
    private ManualResetValueTaskSourceCore<MuxResult> _core;
    private MuxResult? _result;
    private int _completed;

    // Cancellation by the caller's token, registered on the request itself (no task or timer per request); the
    // holder exists only for requests sent with a token, so the others stay as small as before.
    private TokenCancellation? _cancellation;

    /// <summary>A request's registration on its caller's token. State: 0 registering, 1 registered, 2 completed.</summary>
    private sealed class TokenCancellation(IsoMux mux)
    {
        public readonly IsoMux Mux = mux;
        public CancellationTokenRegistration Registration;
        public int State;
    }

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
        if (!TryClaim(result)) return false;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        return true;
    }

    /// <summary>Takes the outcome without completing yet; the caller then completes it through a <see cref="ReplyBatch"/>.</summary>
    internal bool TryClaim(MuxResult result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        _result = result;
        return true;
    }

    /// <summary>
    /// Cancels this request through <paramref name="mux"/> (removed from the table at once, the caller's await throws
    /// <see cref="OperationCanceledException"/>) when <paramref name="ct"/> is cancelled before it completes.
    /// </summary>
    internal void CancelWhen(IsoMux mux, CancellationToken ct)
    {
        var cancellation = new TokenCancellation(mux);
        // Published before registering: the callback (which may run at once) and the completion both read it.
        Volatile.Write(ref _cancellation, cancellation);
        var registration = ct.UnsafeRegister(static s =>
        {
            var pending = (PendingRequest)s!;
            pending._cancellation!.Mux.Cancel(pending);
        }, this);
        cancellation.Registration = registration;
        // A completion that ran before the registration was stored could not undo it: undo it here.
        if (Interlocked.Exchange(ref cancellation.State, 1) == 2) registration.Unregister();
    }

    /// <summary>The next request of the same <see cref="ReplyBatch"/>.</summary>
    internal PendingRequest? NextInBatch { get; set; }

    /// <summary>Completes as cancelled (awaiting throws <see cref="OperationCanceledException"/>); false when already completed.</summary>
    public bool TrySetCanceled()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        return true;
    }

    /// <summary>On the thread pool: completes the value task; the awaiting caller continues right here.</summary>
    /// <summary>
    /// On the thread pool: completes this request and the rest of its <see cref="ReplyBatch"/>, one after
    /// another; their callers continue on this thread (one work item per read of replies, not one per reply).
    /// Holding their frames back to the end of the batch was measured and is slower (docs/benchmarks.md).
    /// </summary>
    void IThreadPoolWorkItem.Execute()
    {
        PendingRequest? next = this;
        try
        {
            while (next is not null)
            {
                var current = next;
                next = current.NextInBatch;
                current.NextInBatch = null;
                current.Complete();
            }
        }
        finally
        {
            // A caller's continuation that threw does not strand the rest of the batch.
            if (next is not null) ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: false);
        }
    }

    /// <summary>Completes the value task: a caller already awaiting continues on this thread, now.</summary>
    internal void Complete()
    {
        // Unregister (never waits for a running callback): a long-lived token must not collect finished requests.
        if (Volatile.Read(ref _cancellation) is { } cancellation && Interlocked.Exchange(ref cancellation.State, 2) == 1)
            cancellation.Registration.Unregister();
        if (_result is { } result) _core.SetResult(result);
        else _core.SetException(new OperationCanceledException("the request was cancelled"));
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
    /// <summary>One lock stripe: the requests in flight and the recently timed-out keys that hash to it.</summary>
    private sealed class Stripe
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<string, PendingRequest> Pending = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> TimedOut = new(StringComparer.Ordinal);

        /// <summary>Look-ups by a key written on the stack (no string per response).</summary>
        public Dictionary<string, PendingRequest>.AlternateLookup<ReadOnlySpan<char>> PendingBySpan => Pending.GetAlternateLookup<ReadOnlySpan<char>>();

        /// <summary>The timed-out marks, looked up the same way.</summary>
        public Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> TimedOutBySpan => TimedOut.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    // Many stripes: every request adds and every response removes; with few, the read loops and the
    // senders queue on the same locks. A key's pending entry and its timed-out mark share one stripe,
    // so registering, answering and expiring a key are each one locked step.
    private const int StripeCount = 64;
    private readonly Stripe[] _stripes = Enumerable.Range(0, StripeCount).Select(_ => new Stripe()).ToArray();
    private readonly ConcurrentQueue<(string Key, long At)> _timedOutOrder = new();
    private readonly NetworkMetrics _metrics;
    private readonly string _connector;
    private readonly int _lateWindowMs;
    private readonly Timer _sweeper;
    private int _count;

    /// <summary>Creates a MUX with a key and a bound on pending requests.</summary>
    public IsoMux(MuxKey key, int pendingMax, NetworkMetrics metrics, string connector, int lateWindowMs = 60_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pendingMax, 1);
        _lateWindowMs = lateWindowMs;
        Key = key;
        PendingMax = pendingMax;
        _metrics = metrics;
        _connector = connector;
        // One timer for the whole table instead of one per request: timeouts fire up to one sweep late.
        _sweeper = new Timer(_ => ExpireOverdue(Environment.TickCount64), null, SweepIntervalMs, SweepIntervalMs);
    }

    /// <summary>Granularity of timeouts.</summary>
    public const int SweepIntervalMs = 20;

    /// <summary>How requests and responses are matched.</summary>
    public MuxKey Key { get; }

    /// <summary>Most requests awaiting a response at once.</summary>
    public int PendingMax { get; }

    /// <summary>Requests awaiting a response now.</summary>
    public int PendingCount => Volatile.Read(ref _count);

    /// <summary>Size of the memory of timed-out keys (entries whose late reply already came included); at most <see cref="PendingMax"/>.</summary>
    public int TimedOutKeysRemembered => _timedOutOrder.Count;

    /// <summary>Raised (on the connection's read loop: keep it short) for a response no request waits for.</summary>
    public event EventHandler<LateResponseEventArgs>? LateResponse;

    /// <summary>Called (on the sweeper thread) for a request that timed out, before its waiter is completed.</summary>
    internal Action<PendingRequest>? RequestTimedOut { get; set; }

    // Ordinal string hashes: the same for a string and for the span it was written from.
    private Stripe StripeOf(ReadOnlySpan<char> key) => _stripes[(uint)string.GetHashCode(key) % StripeCount];

    /// <summary>Registers a request; on refusal <paramref name="pending"/> is null and the status says why.</summary>
    internal MuxStatus TryRegister(IsoMessage request, TimeSpan timeout, out string? key, out PendingRequest? pending)
    {
        pending = null;
        key = Key.ForRequest(request);
        if (key is null) return MuxStatus.NotARequest;
        if (Interlocked.Increment(ref _count) > PendingMax)
        {
            Interlocked.Decrement(ref _count);
            return MuxStatus.PendingTableFull;
        }
        long now = Environment.TickCount64;
        long timeoutMs = (long)timeout.TotalMilliseconds;
        var entry = new PendingRequest(key, now + timeoutMs, request, timeoutMs);
        var stripe = StripeOf(key);
        MuxStatus status;
        lock (stripe.Gate)
        {
            status = RegisterLocked(stripe, key, entry, now);
        }
        if (status != MuxStatus.Answered)
        {
            Interlocked.Decrement(ref _count);
            return status;
        }
        pending = entry;
        return MuxStatus.Answered;
    }

    private MuxStatus RegisterLocked(Stripe stripe, string key, PendingRequest entry, long now)
    {
        if (stripe.TimedOut.TryGetValue(key, out long expiredAtMs))
        {
            // Within the late window a late reply could be taken for this request's; past it the key is live again.
            if (now - expiredAtMs < _lateWindowMs) return MuxStatus.KeyRecentlyTimedOut;
            stripe.TimedOut.Remove(key);
        }
        return stripe.Pending.TryAdd(key, entry) ? MuxStatus.Answered : MuxStatus.DuplicateInFlight;
    }

    /// <summary>Forgets a request that was not sent or whose caller gave up.</summary>
    internal void Cancel(PendingRequest pending)
    {
        if (TryRemove(pending)) Interlocked.Decrement(ref _count);
        pending.TrySetCanceled();
    }

    /// <summary>Removes exactly this request (not a newer one with the same key).</summary>
    private bool TryRemove(PendingRequest pending)
    {
        var stripe = StripeOf(pending.Key);
        lock (stripe.Gate)
        {
            return stripe.Pending.TryGetValue(pending.Key, out var current) && ReferenceEquals(current, pending) && stripe.Pending.Remove(pending.Key);
        }
    }

    /// <summary>Times out every request whose deadline has passed.</summary>
    public void ExpireOverdue(long nowMs)
    {
        List<PendingRequest>? overdue = null;
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                foreach (var entry in stripe.Pending.Values)
                {
                    if (entry.DeadlineMs <= nowMs) (overdue ??= []).Add(entry);
                }
            }
        }
        if (overdue is null) return;
        foreach (var entry in overdue) Expire(entry);
    }

    /// <summary>Forgets a timed-out request and remembers its key (bounded) so a late response is recognised.</summary>
    private void Expire(PendingRequest pending)
    {
        string key = pending.Key;
        long now = Environment.TickCount64;
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            // Answered (or cancelled) just now: not timed out after all.
            if (!stripe.Pending.TryGetValue(key, out var current) || !ReferenceEquals(current, pending)) return;
            stripe.Pending.Remove(key);
            stripe.TimedOut[key] = now;
        }
        Interlocked.Decrement(ref _count);
        _metrics.Timeout();
        _timedOutOrder.Enqueue((key, now));
        ForgetOldTimeouts();
        RequestTimedOut?.Invoke(pending);
        pending.TrySetResult(new MuxResult(MuxStatus.TimedOut, null, $"no response within {pending.TimeoutMs} ms", key));
    }

    /// <summary>
    /// The memory of timed-out keys is bounded like the pending table: every mark has an entry in the order
    /// queue, which keeps the newest <see cref="PendingMax"/>; the oldest go first.
    /// </summary>
    private void ForgetOldTimeouts()
    {
        while (_timedOutOrder.Count > PendingMax && _timedOutOrder.TryDequeue(out var old))
        {
            var stripe = StripeOf(old.Key);
            lock (stripe.Gate)
            {
                // Only the mark this entry made (a later timeout of the same key stays remembered); a mark
                // already cleared by its late reply or by a new request has nothing left to remove.
                if (stripe.TimedOut.TryGetValue(old.Key, out long at) && at == old.At) stripe.TimedOut.Remove(old.Key);
            }
        }
    }

    /// <summary>Hands a response to its waiter (completed on the thread pool); false (and <see cref="LateResponse"/> raised) when none waits.</summary>
    public bool Deliver(IsoMessage response)
    {
        var batch = new ReplyBatch();
        batch.Add(Match(response));
        return batch.Dispatch();
    }

    /// <summary>
    /// Takes the request a response answers out of the table and gives it its result, leaving its completion
    /// to the caller (see <see cref="ReplyBatch"/>). Null when none waits (<see cref="LateResponse"/> raised), or
    /// when its caller gave up at this very moment (that caller has its cancellation).
    /// </summary>
    internal PendingRequest? Match(IsoMessage response)
    {
        // The key is written on the stack for the look-up; a string is made only for a late or unknown reply
        // (or a key too long for the stack buffer).
        Span<char> chars = stackalloc char[MuxKey.StackKeyChars];
        string? longKey = null;
        ReadOnlySpan<char> key = Key.TryWriteResponseKey(response, chars, out int length)
            ? chars[..length]
            : (longKey = Key.ForResponse(response)).AsSpan();
        var stripe = StripeOf(key);
        PendingRequest? waiter;
        bool wasTimedOut;
        lock (stripe.Gate)
        {
            // A late reply clears its key's mark: a second copy of it is unknown, not late.
            wasTimedOut = !stripe.PendingBySpan.Remove(key, out _, out waiter) && stripe.TimedOutBySpan.Remove(key);
        }
        if (waiter is not null)
        {
            Interlocked.Decrement(ref _count);
            return waiter.TryClaim(new MuxResult(MuxStatus.Answered, response, null, waiter.Key)) ? waiter : null;
        }
        if (wasTimedOut) _metrics.LateResponse();
        LateResponse?.Invoke(this, new LateResponseEventArgs(longKey ?? key.ToString(), response, wasTimedOut, _connector));
        return null;
    }

    /// <summary>Stops the timeout sweeper.</summary>
    public void Dispose() => _sweeper.Dispose();

    /// <summary>Fails every waiting request (connector stopping).</summary>
    public void FailAll()
    {
        foreach (var stripe in _stripes)
        {
            PendingRequest[] waiting;
            lock (stripe.Gate)
            {
                waiting = [.. stripe.Pending.Values];
                stripe.Pending.Clear();
            }
            foreach (var entry in waiting)
            {
                Interlocked.Decrement(ref _count);
                entry.TrySetResult(new MuxResult(MuxStatus.NotConnected, null, $"connector {_connector} stopped", entry.Key));
            }
        }
    }
}

/// <summary>
/// The requests answered by one read of a connection, completed together by one thread-pool work item
/// (see <see cref="PendingRequest"/>): linked through the requests themselves, nothing allocated.
/// </summary>
internal struct ReplyBatch
{
    private PendingRequest? _head;
    private PendingRequest? _tail;

    /// <summary>Adds a matched request (null: nothing matched).</summary>
    public void Add(PendingRequest? request)
    {
        if (request is null) return;
        if (_tail is null) _head = request;
        else _tail.NextInBatch = request;
        _tail = request;
    }

    /// <summary>Queues the batch for completion; false when it was empty.</summary>
    public bool Dispatch()
    {
        if (_head is null) return false;
        ThreadPool.UnsafeQueueUserWorkItem(_head, preferLocal: true);
        _head = _tail = null;
        return true;
    }
}
