namespace Switch.Journal.Events;

/// <summary>
/// The unique, deterministic id of a journal event: the node that wrote it and that node's journal sequence. Sequences
/// only increase on a node (gaps are allowed: a refused append or a restart skips numbers, never reuses one), so
/// consumers deduplicate by this id and order one node's events by <see cref="Sequence"/>.
/// </summary>
public readonly record struct EventId(uint NodeId, long Sequence) : IComparable<EventId>
{
    /// <summary>Orders by node, then sequence.</summary>
    public int CompareTo(EventId other) => NodeId != other.NodeId ? NodeId.CompareTo(other.NodeId) : Sequence.CompareTo(other.Sequence);

    /// <summary>Ordering operators (by node, then sequence).</summary>
    public static bool operator <(EventId a, EventId b) => a.CompareTo(b) < 0;
    /// <summary>Ordering operators (by node, then sequence).</summary>
    public static bool operator >(EventId a, EventId b) => a.CompareTo(b) > 0;
    /// <summary>Ordering operators (by node, then sequence).</summary>
    public static bool operator <=(EventId a, EventId b) => a.CompareTo(b) <= 0;
    /// <summary>Ordering operators (by node, then sequence).</summary>
    public static bool operator >=(EventId a, EventId b) => a.CompareTo(b) >= 0;

    /// <summary>The printable form, e.g. "1-42".</summary>
    public override string ToString() => $"{NodeId}-{Sequence}";
}
