namespace Switch.Network.Acceptor;

/// <summary>
/// Counts a connection's requests in flight against its limit. Lock-free (a SemaphoreSlim takes a
/// lock on every enter and release, twice per request); only the connection's read loop ever waits.
/// </summary>
internal sealed class InFlightLimiter(int max)
{
    private int _count;
    private TaskCompletionSource? _waiter;

    /// <summary>Requests in flight now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot when one is free.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _count) <= max) return true;
        Release(signal: false);
        return false;
    }

    /// <summary>Waits for a slot (single waiter: the read loop).</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _waiter, waiter);
            // Checked after publishing the waiter: a release in between either sees it or left a free slot.
            if (TryEnter())
            {
                Interlocked.CompareExchange(ref _waiter, null, waiter);
                return;
            }
            await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Frees a slot and wakes the waiting read loop.</summary>
    public void Release() => Release(signal: true);

    private void Release(bool signal)
    {
        Interlocked.Decrement(ref _count);
        if (signal) Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
    }
}
