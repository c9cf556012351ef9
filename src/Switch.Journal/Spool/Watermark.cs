namespace Switch.Journal.Spool;

/// <summary>A monotonically rising sequence position that tasks can await (durable-through, acked-through).</summary>
internal sealed class Watermark(long initial)
{
    private readonly object _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, long> _waiters = new();
    private long _value = initial;
    private Exception? _failure;

    public long Value => Volatile.Read(ref _value);

    /// <summary>Completes when the value reaches <paramref name="sequence"/>.</summary>
    public Task WaitAsync(long sequence)
    {
        if (Volatile.Read(ref _value) >= sequence) return Task.CompletedTask;
        lock (_gate)
        {
            if (_value >= sequence) return Task.CompletedTask;
            if (_failure is not null) return Task.FromException(_failure);
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(tcs, sequence);
            return tcs.Task;
        }
    }

    /// <summary>Raises the value (never lowers it) and releases the waiters it reaches.</summary>
    public void Advance(long value)
    {
        lock (_gate)
        {
            if (value <= _value) return;
            Volatile.Write(ref _value, value);
            while (_waiters.TryPeek(out TaskCompletionSource? tcs, out long seq) && seq <= value)
            {
                _waiters.Dequeue();
                tcs.TrySetResult();
            }
        }
    }

    /// <summary>Fails every waiter and every later wait that the value has not reached.</summary>
    public void Fail(Exception failure)
    {
        lock (_gate)
        {
            _failure = failure;
            while (_waiters.TryDequeue(out TaskCompletionSource? tcs, out _)) tcs.TrySetException(failure);
        }
    }
}
