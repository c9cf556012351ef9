using System.Collections.Concurrent;
using System.Diagnostics;
using Switch.Core.Time;
using Switch.Journal.Events;

namespace Switch.Core.Pipeline;

/// <summary>
/// One remembered request: its key, its terminal, when it leaves the window, and its answer once there is one (the
/// encoded bytes sent; or, rebuilt from the journal after a restart, the decision fields only).
/// </summary>
internal sealed class DuplicateEntry(string key, string terminalId, long expiresTicks)
{
    private byte[]? _answer;
    private TaskCompletionSource<byte[]?>? _waiters;
    private int _completed;

    public string Key { get; } = key;

    public string TerminalId { get; } = terminalId;

    public long ExpiresTicks { get; } = expiresTicks;

    /// <summary>DE39, DE38, DE54 of an answer rebuilt from the journal (its bytes are not journaled).</summary>
    public RebuiltAnswer? Rebuilt { get; init; }

    /// <summary>The answer's bytes, null while the original is in flight (or when it failed without an answer).</summary>
    public byte[]? Answer => Volatile.Read(ref _answer);

    /// <summary>True once the original finished (answered, or failed).</summary>
    public bool Completed => Volatile.Read(ref _completed) == 1 || Rebuilt is not null;

    /// <summary>The original finished with these bytes (null: it failed before an answer existed); wakes every waiter.</summary>
    public void Complete(byte[]? answer)
    {
        Interlocked.Exchange(ref _answer, answer);
        // A full fence between publishing the answer and reading the waiters: a waiter that registers concurrently re-reads the answer.
        Interlocked.Exchange(ref _completed, 1);
        Volatile.Read(ref _waiters)?.TrySetResult(answer);
    }

    /// <summary>Waits for the original's answer (null when it failed).</summary>
    public Task<byte[]?> WaitAsync()
    {
        if (Completed) return Task.FromResult(Answer);
        var fresh = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = Interlocked.CompareExchange(ref _waiters, fresh, null) ?? fresh;
        if (Volatile.Read(ref _completed) == 1) waiters.TrySetResult(Answer);
        return waiters.Task;
    }
}

/// <summary>The decision of an answer remembered across a restart.</summary>
internal sealed record RebuiltAnswer(string ResponseCode, string ApprovalCode, string? AdditionalAmounts);

/// <summary>
/// Duplicate detection's memory: requests by key (answer MTI, DE7, DE11, DE41, DE32) for the configured window, at
/// most <see cref="CoreOptions.DuplicateEntriesMax"/> of them (the oldest go first). Lock-free on the hot path (a
/// concurrent dictionary and a concurrent queue in arrival order); rebuilt at start from the journal's ResponseOut
/// events inside the window, and a StateReset of a terminal forgets its entries.
/// </summary>
public sealed class DuplicateMemory
{
    private readonly ConcurrentDictionary<string, DuplicateEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DuplicateEntry> _order = new();
    private readonly IClock _clock;
    private readonly long _windowTicks;
    private readonly TimeSpan _window;
    private readonly int _entriesMax;
    private int _queued;

    /// <summary>A memory with the window and bound of <paramref name="options"/>.</summary>
    public DuplicateMemory(CoreOptions options, IClock clock)
    {
        _clock = clock;
        _window = TimeSpan.FromMilliseconds(options.DuplicateWindowMs);
        _windowTicks = (long)(_window.TotalSeconds * Stopwatch.Frequency);
        _entriesMax = options.DuplicateEntriesMax;
    }

    /// <summary>Entries remembered (including ones already forgotten by a reset and not yet trimmed).</summary>
    public int Count => Volatile.Read(ref _queued);

    /// <summary>The key of a request: the answer's MTI (repeats share it), DE7, DE11, DE41 and DE32.</summary>
    public static string KeyOf(string answerMti, string transmissionDateTime, string stan, string terminalId, string acquirerId) =>
        string.Concat(answerMti, transmissionDateTime, stan, terminalId, "|", acquirerId);

    /// <summary>
    /// Claims <paramref name="key"/> for a new request: true and the new (in-flight) entry, or false and the entry of
    /// the request it repeats (answered, in flight, or rebuilt).
    /// </summary>
    internal bool TryClaim(string key, string terminalId, out DuplicateEntry entry)
    {
        long now = _clock.MonotonicTicks;
        Trim(now);
        var fresh = new DuplicateEntry(key, terminalId, now + _windowTicks);
        while (true)
        {
            if (_entries.TryAdd(key, fresh))
            {
                Enqueue(fresh);
                entry = fresh;
                return true;
            }
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.ExpiresTicks > now)
                {
                    entry = existing;
                    return false;
                }
                _entries.TryRemove(new KeyValuePair<string, DuplicateEntry>(key, existing));
            }
        }
    }

    /// <summary>Forgets an entry (its request failed: a repeat is processed afresh).</summary>
    internal void Forget(DuplicateEntry entry) => _entries.TryRemove(new KeyValuePair<string, DuplicateEntry>(entry.Key, entry));

    /// <summary>Forgets every entry of a terminal (StateReset, e.g. `db seed demo --reset`).</summary>
    public int ForgetTerminal(string terminalId)
    {
        int forgotten = 0;
        foreach (var (key, entry) in _entries)
        {
            if (entry.TerminalId == terminalId && _entries.TryRemove(new KeyValuePair<string, DuplicateEntry>(key, entry))) forgotten++;
        }
        return forgotten;
    }

    /// <summary>
    /// Replays one durable journal record (start-up, in journal order): a ResponseOut inside the window is remembered
    /// with its decision; a StateReset naming a terminal and no account forgets the terminal's entries.
    /// </summary>
    public void Apply(JournalRecord record)
    {
        JournalEvent e = record.Event;
        if (e.Kind == LegKind.StateReset)
        {
            if (e.TerminalId.Length > 0 && e.AccountId.Length == 0) ForgetTerminal(e.TerminalId);
            return;
        }
        if (e.Kind != LegKind.ResponseOut || e.TerminalId.Length == 0) return;
        if (!ResponseDetail.TryParse(e.Detail, out string? de7, out string? de54)) return;
        TimeSpan age = _clock.UtcNow - e.TimeUtc;
        if (age >= _window) return;
        long now = _clock.MonotonicTicks;
        long expires = now + _windowTicks - (long)(Math.Max(0, age.TotalSeconds) * Stopwatch.Frequency);
        string key = KeyOf(e.Mti, de7!, e.Stan, e.TerminalId, e.AcquirerId);
        var entry = new DuplicateEntry(key, e.TerminalId, expires) { Rebuilt = new RebuiltAnswer(e.ResponseCode, e.ApprovalCode, de54) };
        // A later record of the same key (a retry after a failed original) replaces the earlier one.
        _entries[key] = entry;
        Enqueue(entry);
        Trim(now);
    }

    /// <summary>
    /// Writes the entries rebuilt from the journal (State/CoreStateSnapshot) still inside the window, in arrival order,
    /// each with when it leaves the window (UTC) and whether it is the current entry of its key (a replaced one still
    /// counts against the bound until trimmed, as in a replay). Entries of live requests are not written: the
    /// snapshot is taken from a memory fed only by <see cref="Apply"/>.
    /// </summary>
    internal void WriteSnapshot(BinaryWriter w)
    {
        long now = _clock.MonotonicTicks;
        DateTime nowUtc = _clock.UtcNow;
        var kept = _order.Where(e => e.Rebuilt is not null && e.ExpiresTicks > now).ToList();
        w.Write(kept.Count);
        foreach (var e in kept)
        {
            w.Write(e.Key);
            w.Write(e.TerminalId);
            w.Write((nowUtc + TimeSpan.FromSeconds((e.ExpiresTicks - now) / (double)Stopwatch.Frequency)).Ticks);
            w.Write(e.Rebuilt!.ResponseCode);
            w.Write(e.Rebuilt.ApprovalCode);
            w.Write(e.Rebuilt.AdditionalAmounts ?? "");
            w.Write(_entries.TryGetValue(e.Key, out var current) && ReferenceEquals(current, e));
        }
    }

    /// <summary>Adds the entries a snapshot holds (at start, before <see cref="Apply"/> of what follows it); those already past the window are skipped.</summary>
    internal void ReadSnapshot(BinaryReader r)
    {
        long now = _clock.MonotonicTicks;
        DateTime nowUtc = _clock.UtcNow;
        for (int i = r.ReadInt32(); i > 0; i--)
        {
            string key = r.ReadString(), terminal = r.ReadString();
            var expiresUtc = new DateTime(r.ReadInt64(), DateTimeKind.Utc);
            string code = r.ReadString(), approval = r.ReadString(), de54 = r.ReadString();
            bool current = r.ReadBoolean();
            TimeSpan left = expiresUtc - nowUtc;
            if (left <= TimeSpan.Zero) continue;
            var entry = new DuplicateEntry(key, terminal, now + (long)(left.TotalSeconds * Stopwatch.Frequency))
            {
                Rebuilt = new RebuiltAnswer(code, approval, de54.Length == 0 ? null : de54),
            };
            if (current) _entries[key] = entry;
            Enqueue(entry);
        }
        Trim(now);
    }

    /// <summary>The remembered entries (key → DE39/DE38/DE54 of rebuilt ones, "live" otherwise), for tests comparing rebuilds.</summary>
    internal IEnumerable<string> Describe() =>
        _entries.Select(kv => $"{kv.Key} {kv.Value.TerminalId} {kv.Value.Rebuilt?.ResponseCode ?? "live"}/{kv.Value.Rebuilt?.ApprovalCode}/{kv.Value.Rebuilt?.AdditionalAmounts}");

    private void Enqueue(DuplicateEntry entry)
    {
        _order.Enqueue(entry);
        Interlocked.Increment(ref _queued);
    }

    /// <summary>Drops entries from the front of the arrival order while they are past the window or over the bound.</summary>
    private void Trim(long now)
    {
        while (_order.TryPeek(out var oldest) && (oldest.ExpiresTicks <= now || Volatile.Read(ref _queued) > _entriesMax))
        {
            if (!_order.TryDequeue(out var dropped)) break;
            Interlocked.Decrement(ref _queued);
            _entries.TryRemove(new KeyValuePair<string, DuplicateEntry>(dropped.Key, dropped));
        }
    }
}

/// <summary>
/// The Detail text of a ResponseOut event: what duplicate detection needs after a restart that the event has no field
/// for — DE7 (part of the key) and DE54 — written "de7=MMDDhhmmss" and ";de54=..." (no card data).
/// </summary>
public static class ResponseDetail
{
    /// <summary>Most digits in a row the journal takes in a Detail (it refuses 13: a PAN guard).</summary>
    private const int DigitRunMax = 12;

    /// <summary>
    /// The detail for DE7 and an optional DE54. DE54 is written with a '/' after every 12 digits in a row (several
    /// amounts of 20 characters, or an amount next to the following entry's code, make longer runs); reading removes them.
    /// </summary>
    public static string Format(string transmissionDateTime, string? additionalAmounts) =>
        additionalAmounts is null ? "de7=" + transmissionDateTime : string.Concat("de7=", transmissionDateTime, ";de54=", CutDigitRuns(additionalAmounts));

    private static string CutDigitRuns(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length + 8);
        int run = 0;
        foreach (char c in text)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run > DigitRunMax)
            {
                sb.Append('/');
                run = 1;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Reads DE7 and DE54 back; false when the text is not such a detail.</summary>
    public static bool TryParse(string detail, out string? transmissionDateTime, out string? additionalAmounts)
    {
        transmissionDateTime = null;
        additionalAmounts = null;
        if (!detail.StartsWith("de7=", StringComparison.Ordinal) || detail.Length < 14) return false;
        transmissionDateTime = detail.Substring(4, 10);
        if (detail.Length > 14)
        {
            if (!detail.AsSpan(14).StartsWith(";de54=", StringComparison.Ordinal)) return false;
            additionalAmounts = detail[20..].Replace("/", "", StringComparison.Ordinal);
        }
        return true;
    }
}
