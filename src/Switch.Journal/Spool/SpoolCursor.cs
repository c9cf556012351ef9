using Switch.Journal.Codec;

namespace Switch.Journal.Spool;

/// <summary>
/// A reading position in a live spool: follows the writer across segments and yields records in sequence order up to a
/// limit (the writer's durable or written position). A record past the limit, or a tail still being written, is simply
/// not yet available. Used by the forwarder and replay.
/// </summary>
public sealed class SpoolCursor : IDisposable
{
    private readonly ISpoolStorage _storage;
    private readonly Func<SegmentInfo[]> _segments;
    private SegmentReader? _reader;
    private bool _held;

    /// <summary>Creates a cursor over <paramref name="segments"/> (a live snapshot source), positioned at <paramref name="fromSequence"/>.</summary>
    public SpoolCursor(ISpoolStorage storage, Func<SegmentInfo[]> segments, long fromSequence)
    {
        _storage = storage;
        _segments = segments;
        Seek(fromSequence);
    }

    /// <summary>The sequence the next record must have at least.</summary>
    public long NextSequence { get; private set; }

    /// <summary>The current record's sequence (after <see cref="TryRead"/> returned true).</summary>
    public long Sequence { get; private set; }

    /// <summary>The current record's encoded event (valid until the next read).</summary>
    public ReadOnlyMemory<byte> Payload { get; private set; }

    /// <summary>The last problem met in a closed segment (a corrupt record skipped to the next segment), for logs.</summary>
    public string? SkippedProblem { get; private set; }

    /// <summary>Moves to the first record with a sequence at or above <paramref name="sequence"/>.</summary>
    public void Seek(long sequence)
    {
        _reader?.Dispose();
        _reader = null;
        _held = false;
        NextSequence = sequence;
    }

    /// <summary>Reads the next record with a sequence at most <paramref name="limit"/>; false when none is available yet.</summary>
    public bool TryRead(long limit)
    {
        while (true)
        {
            if (_held)
            {
                if (Sequence > limit) return false;
                _held = false;
                NextSequence = Sequence + 1;
                return true;
            }
            if (_reader is null && !OpenSegmentFor(NextSequence)) return false;
            SegmentRead r = _reader!.Next();
            if (r == SegmentRead.Record)
            {
                Sequence = _reader.LastSequence;
                if (Sequence < NextSequence) continue; // skipping to the seek position
                Payload = _reader.Payload;
                _held = true;
                continue;
            }
            if (!MoveToNextSegment(r)) return false;
        }
    }

    /// <summary>Closes the open segment.</summary>
    public void Dispose() => _reader?.Dispose();

    private bool OpenSegmentFor(long sequence)
    {
        SegmentInfo[] all = _segments();
        if (all.Length == 0) return false;
        SegmentInfo pick = all[0];
        foreach (SegmentInfo s in all)
            if (s.FirstSequence <= sequence) pick = s;
        _reader = SegmentReader.Open(_storage, pick.Path, forWriting: false, out _);
        return _reader is not null;
    }

    /// <summary>At the end of a segment: go to the next one if it exists, else wait for the writer.</summary>
    private bool MoveToNextSegment(SegmentRead r)
    {
        SegmentInfo[] all = _segments();
        SegmentInfo? next = all.FirstOrDefault(s => s.FirstSequence > _reader!.FirstSequence);
        if (next is null)
        {
            _reader!.Refresh();
            return false;
        }
        if (r == SegmentRead.Bad)
        {
            // The writer rolls to a new segment only after finishing the old one, so reading the old one again is
            // enough if it was caught mid-write; a bad record in a segment that has a successor is corruption.
            _reader!.Refresh();
            SegmentRead again = _reader.Next();
            if (again == SegmentRead.Record)
            {
                _held = false;
                Sequence = _reader.LastSequence;
                if (Sequence >= NextSequence)
                {
                    Payload = _reader.Payload;
                    _held = true;
                }
                return true;
            }
            if (again == SegmentRead.Bad) SkippedProblem = _reader.Problem;
        }
        _reader!.Dispose();
        _reader = SegmentReader.Open(_storage, next.Path, forWriting: false, out _);
        return _reader is not null;
    }

    /// <summary>The transaction id of an encoded event (the Kafka key), without decoding the rest.</summary>
    public static ReadOnlySpan<byte> TransactionIdOf(ReadOnlySpan<byte> payload)
    {
        int n = payload[JournalEventCodec.FixedBytes];
        return payload.Slice(JournalEventCodec.FixedBytes + 1, n);
    }
}
