namespace Switch.Simulators.Card;

/// <summary>
/// One message the issuer simulator received, masked: what it was, what the simulator did and answered.
/// <see cref="MaskedJson"/> is the whole message through the spec's masker (no PAN, track or PIN block in it).
/// </summary>
/// <param name="Sequence">Order of arrival, from 1.</param>
/// <param name="ReceivedAt">UTC time of arrival.</param>
/// <param name="Mti">MTI, or null when the bytes did not decode as far as the MTI.</param>
/// <param name="MaskedPan">DE 2 masked 6/4 (or the PAN of DE 35), null when absent.</param>
/// <param name="ProcessingCode">DE 3.</param>
/// <param name="AmountMinor">DE 4.</param>
/// <param name="Stan">DE 11 as received (the switch's STAN).</param>
/// <param name="TerminalId">DE 41.</param>
/// <param name="AcquirerId">DE 32.</param>
/// <param name="OriginalData">DE 90 (reversals and advices).</param>
/// <param name="PinCheck">"verified", "wrong", "undecipherable", or null when no DE 52 arrived or it was not checked.</param>
/// <param name="Behaviour">The misbehaviour applied ("none" when answered normally).</param>
/// <param name="Answer">DE 39 answered, or null when nothing was answered.</param>
/// <param name="MaskedJson">The message, masked, as one JSON line; or the decode error.</param>
/// <param name="ArqcCheck">"valid", "invalid", "unreadable", or null when no DE 55 was checked.</param>
public sealed record IssuerLogEntry(
    long Sequence,
    DateTimeOffset ReceivedAt,
    string? Mti,
    string? MaskedPan,
    string? ProcessingCode,
    long? AmountMinor,
    string? Stan,
    string? TerminalId,
    string? AcquirerId,
    string? OriginalData,
    string? PinCheck,
    string Behaviour,
    string? Answer,
    string MaskedJson,
    string? ArqcCheck = null)
{
    /// <summary>The entry as one JSON line, the message as a nested object (everything in it already masked).</summary>
    public string ToJsonLine()
    {
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("sequence", Sequence);
            w.WriteString("receivedAt", ReceivedAt);
            Optional(w, "mti", Mti);
            Optional(w, "pan", MaskedPan);
            Optional(w, "processingCode", ProcessingCode);
            if (AmountMinor is long amount) w.WriteNumber("amountMinor", amount);
            Optional(w, "stan", Stan);
            Optional(w, "terminalId", TerminalId);
            Optional(w, "acquirerId", AcquirerId);
            Optional(w, "originalData", OriginalData);
            Optional(w, "pinCheck", PinCheck);
            Optional(w, "arqcCheck", ArqcCheck);
            w.WriteString("behaviour", Behaviour);
            Optional(w, "answer", Answer);
            w.WritePropertyName("message");
            w.WriteRawValue(MaskedJson);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Optional(System.Text.Json.Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }
}

/// <summary>The bounded in-memory log of received messages (oldest dropped first); thread-safe.</summary>
public sealed class IssuerLog(int entriesMax)
{
    private readonly LinkedList<IssuerLogEntry> _entries = new();
    private readonly Lock _lock = new();
    private long _total;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Entries kept at most.</summary>
    public int EntriesMax { get; } = entriesMax > 0 ? entriesMax : throw new ArgumentOutOfRangeException(nameof(entriesMax));

    /// <summary>Messages received since start (including entries dropped from the log).</summary>
    public long Total
    {
        get
        {
            lock (_lock) return _total;
        }
    }

    /// <summary>Next sequence number.</summary>
    internal long NextSequence()
    {
        lock (_lock) return ++_total;
    }

    /// <summary>Adds an entry, dropping the oldest beyond the limit.</summary>
    internal void Add(IssuerLogEntry entry)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _entries.AddLast(entry);
            while (_entries.Count > EntriesMax) _entries.RemoveFirst();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>A snapshot of the kept entries, oldest first.</summary>
    public IReadOnlyList<IssuerLogEntry> Snapshot()
    {
        lock (_lock) return [.. _entries];
    }

    /// <summary>Kept entries whose MTI is one of <paramref name="mtis"/>.</summary>
    public IReadOnlyList<IssuerLogEntry> OfMti(params string[] mtis) => [.. Snapshot().Where(e => e.Mti is not null && mtis.Contains(e.Mti))];

    /// <summary>Forgets the kept entries (the total stays).</summary>
    public void Clear()
    {
        lock (_lock) _entries.Clear();
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> kept entries satisfy <paramref name="match"/>, or the timeout passes;
    /// returns the matching entries either way (the caller asserts on their number).
    /// </summary>
    public async Task<IReadOnlyList<IssuerLogEntry>> WaitForAsync(Func<IssuerLogEntry, bool> match, int count, TimeSpan timeout, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            Task changed;
            IReadOnlyList<IssuerLogEntry> found;
            lock (_lock)
            {
                found = [.. _entries.Where(match)];
                changed = _changed.Task;
            }
            long left = deadline - Environment.TickCount64;
            if (found.Count >= count || left <= 0) return found;
            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(left), ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked once more above, then returned.
            }
        }
    }
}
