using System.Collections.Concurrent;

namespace Switch.Core.Issuers;

/// <summary>Where a remote transaction stands, as far as reversing it goes.</summary>
internal enum RemoteState
{
    /// <summary>The issuer leg was sent; no answer on record (a restart between the two).</summary>
    Sent,
    /// <summary>The issuer approved it.</summary>
    Approved,
    /// <summary>The issuer declined it: nothing to reverse.</summary>
    Declined,
    /// <summary>Unanswered: the switch queued its own reversal already.</summary>
    ReversedBySwitch,
    /// <summary>Approved by the switch in stand-in (an advice tells the issuer).</summary>
    StandInApproved,
    /// <summary>A reversal is being decided (not yet journaled).</summary>
    Reversing,
    /// <summary>Reversed at the terminal's request.</summary>
    Reversed,
}

/// <summary>A remote transaction as a later reversal needs it: where it went and the original data of the issuer leg.</summary>
internal sealed class RemoteEntry(string key, string endpoint, string legOriginalData, RemoteState state)
{
    private int _state = (int)state;

    /// <summary>Terminal, STAN, DE7 and acquirer of the terminal's request (what its reversal's DE90 names).</summary>
    public string Key { get; } = key;

    /// <summary>The connector of the issuer leg (or of the stand-in advice).</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>DE90 of a reversal of the issuer leg: its MTI, the switch's STAN, DE7, the switch's institution id.</summary>
    public string LegOriginalData { get; } = legOriginalData;

    /// <summary>Current state.</summary>
    public RemoteState State
    {
        get => (RemoteState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>Moves from <paramref name="from"/> to <paramref name="to"/>; false when another state holds.</summary>
    public bool TryMove(RemoteState from, RemoteState to) => Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from;
}

/// <summary>
/// The recent remote transactions by what a terminal's reversal names them with, bounded (the oldest are forgotten
/// first: a reversal of a forgotten one is answered 25). Rebuilt at start from the journal.
/// </summary>
internal sealed class RemoteIndex(int entriesMax)
{
    private readonly ConcurrentDictionary<string, RemoteEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The key of a terminal's transaction: terminal id, STAN, DE7 and the acquirer id without leading zeros (DE90
    /// zero-fills it). Separators that the journal's detail text reserves are replaced.
    /// </summary>
    public static string KeyOf(string terminalId, string stan, string transmissionDateTime, string acquirerId) =>
        string.Join('|', Clean(terminalId), Clean(stan), Clean(transmissionDateTime), Clean(acquirerId.TrimStart('0')));

    private static string Clean(string text) => text.AsSpan().IndexOfAny(";=/") < 0 ? text : text.Replace(';', '_').Replace('=', '_').Replace('/', '_');

    /// <summary>The entry for <paramref name="key"/>, if remembered.</summary>
    public RemoteEntry? Find(string key) => _entries.GetValueOrDefault(key);

    /// <summary>Adds (or replaces) an entry, forgetting the oldest past the bound.</summary>
    public void Add(RemoteEntry entry)
    {
        if (_entries.TryAdd(entry.Key, entry)) _order.Enqueue(entry.Key);
        else _entries[entry.Key] = entry;
        while (_entries.Count > entriesMax && _order.TryDequeue(out string? oldest)) _entries.TryRemove(oldest, out _);
    }

    /// <summary>Writes the entries and the eviction order as they are (State/CoreStateSnapshot).</summary>
    public void WriteTo(BinaryWriter w)
    {
        var entries = _entries.Values.ToList();
        w.Write(entries.Count);
        foreach (var e in entries)
        {
            w.Write(e.Key);
            w.Write(e.Endpoint);
            w.Write(e.LegOriginalData);
            w.Write((int)e.State);
        }
        var order = _order.ToArray();
        w.Write(order.Length);
        foreach (string key in order) w.Write(key);
    }

    /// <summary>Replaces the index by one <see cref="WriteTo"/> wrote (at start).</summary>
    public void ReadFrom(BinaryReader r)
    {
        _entries.Clear();
        _order.Clear();
        for (int i = r.ReadInt32(); i > 0; i--)
        {
            var e = new RemoteEntry(r.ReadString(), r.ReadString(), r.ReadString(), (RemoteState)r.ReadInt32());
            _entries[e.Key] = e;
        }
        for (int i = r.ReadInt32(); i > 0; i--) _order.Enqueue(r.ReadString());
    }

    /// <summary>The entries, for tests comparing rebuilds.</summary>
    internal IEnumerable<string> Describe() => _entries.Values.Select(e => $"{e.Key} {e.Endpoint} {e.LegOriginalData} {e.State}");
}
