namespace Switch.Core.StoreAndForward;

/// <summary>
/// The store-and-forward queue of one endpoint: entries in the order they became durable, delivered head first (an
/// entry is sent only once every entry before it was answered), bounded by <see cref="EntriesMax"/> counting the
/// places reserved by decisions not yet committed.
/// </summary>
internal sealed class SafQueue(string endpoint, int entriesMax) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<SafEntry> _entries = new();
    private readonly SemaphoreSlim _changed = new(0, 1);
    private int _reserved;

    /// <summary>The connector name.</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>Most entries (queued plus reserved).</summary>
    public int EntriesMax { get; } = entriesMax;

    /// <summary>Entries queued now.</summary>
    public int Depth
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Reserves a place for an entry a decision will queue at commit; false when the queue is full.</summary>
    public bool TryReserve()
    {
        lock (_gate)
        {
            if (_entries.Count + _reserved >= EntriesMax) return false;
            _reserved++;
            return true;
        }
    }

    /// <summary>Gives back a reservation (the decision was aborted).</summary>
    public void Release()
    {
        lock (_gate) _reserved = Math.Max(0, _reserved - 1);
    }

    /// <summary>Adds an entry whose place was reserved (its queued event is durable); returns the depth.</summary>
    public int AddReserved(SafEntry entry)
    {
        int depth;
        lock (_gate)
        {
            _reserved = Math.Max(0, _reserved - 1);
            _entries.AddLast(entry);
            depth = _entries.Count;
        }
        Signal();
        return depth;
    }

    /// <summary>Adds an entry read back from the journal at start (durable already; never refused: it is an obligation).</summary>
    public int AddRecovered(SafEntry entry)
    {
        lock (_gate)
        {
            _entries.AddLast(entry);
            return _entries.Count;
        }
    }

    /// <summary>The entry to deliver next, or null.</summary>
    public SafEntry? Head
    {
        get
        {
            lock (_gate) return _entries.First?.Value;
        }
    }

    /// <summary>A copy of the entries, head first.</summary>
    public List<SafEntry> Snapshot()
    {
        lock (_gate) return [.. _entries];
    }

    /// <summary>Removes an answered entry; returns the depth.</summary>
    public int Remove(SafEntry entry)
    {
        lock (_gate)
        {
            _entries.Remove(entry);
            return _entries.Count;
        }
    }

    /// <summary>Wakes the delivery loop (an entry arrived, or an answer came late).</summary>
    public void Signal()
    {
        try
        {
            if (_changed.CurrentCount == 0) _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Waits for a change or the timeout; false when <paramref name="stop"/> is cancelled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await _changed.WaitAsync(timeout, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Releases the wake-up signal (after the loop ended).</summary>
    public void Dispose() => _changed.Dispose();
}
