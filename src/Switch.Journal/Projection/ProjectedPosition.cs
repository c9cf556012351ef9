using Switch.Journal.Postgres;
using Switch.Journal.Spool;

namespace Switch.Journal.Projection;

/// <summary>
/// Derives the journal's projected position — the highest sequence S such that every event of this node at or below S
/// is committed in Postgres — from the spool and journal_leg, and reports it with <see cref="Journal.ReportProjected"/>.
/// The projector commits per Kafka partition and one node's events are spread over all partitions, so no single
/// partition's offset says anything about a sequence; and sequences have gaps (a refused append, the fence jump after a
/// restart), so "sequence n+1 is stored" cannot be the test either. Instead a cursor walks the spool (which still holds
/// every record above the position: segments are deleted only below it) and compares the sequences that exist with
/// those journal_leg holds, one indexed range query per round. Works for the projector in process, for projectors run
/// apart, and for several of them; exactly the records that exist count, and a stored event the spool lost (kafka mode,
/// an unfsynced tail) is ignored.
/// </summary>
public sealed class ProjectedPosition : IDisposable
{
    /// <summary>Most spool records compared in one round (bounds the query and the memory).</summary>
    public const int RoundRecordsMax = 50_000;

    private readonly Journal _journal;
    private readonly ProjectionStore _store;
    private readonly SpoolCursor _cursor;
    private readonly List<long> _pending = [];
    private long _position;

    /// <summary>Starts after the position the journal already knows (read back from its positions file).</summary>
    public ProjectedPosition(Journal journal, ProjectionStore store)
    {
        _journal = journal;
        _store = store;
        _position = journal.ProjectedThrough;
        _cursor = new SpoolCursor(journal.Storage, journal.Spool.Segments, _position + 1);
    }

    /// <summary>The position found so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>
    /// One round: reads the spool's next records (up to what is durable), asks Postgres which of them are stored, moves
    /// the position over the leading run of stored ones and reports it. Returns the position. Throws what Npgsql throws
    /// when Postgres is away (the caller retries).
    /// </summary>
    public async Task<long> CheckAsync(CancellationToken cancellationToken)
    {
        long limit = _journal.Spool.DurableThrough;
        while (_pending.Count < RoundRecordsMax && _cursor.TryRead(limit)) _pending.Add(_cursor.Sequence);
        bool readAll = _pending.Count < RoundRecordsMax;
        if (_pending.Count > 0)
        {
            var stored = await _store.StoredSequencesAsync(_journal.NodeId, _pending[0], _pending[^1], cancellationToken).ConfigureAwait(false);
            int confirmed = LeadingStored(_pending, stored);
            if (confirmed > 0)
            {
                Advance(_pending[confirmed - 1]);
                _pending.RemoveRange(0, confirmed);
            }
            // Every record below the first unconfirmed one was confirmed (the cursor reads them all, in order), so the
            // sequences between the last confirmed and it do not exist: the position moves over that gap. Without this
            // a restart's fence jump stays ahead of the position once records follow it, and the mock cluster's send
            // cap (position + a window) never lets those records out: nothing after the restart is ever projected.
            if (_pending.Count > 0) Advance(_pending[0] - 1);
        }
        // Every record up to the limit was read and found stored: the sequences between them and the limit do not exist.
        if (_pending.Count == 0 && readAll) Advance(limit);
        _journal.ReportProjected(Position);
        return Position;
    }

    /// <summary>Closes the spool cursor.</summary>
    public void Dispose() => _cursor.Dispose();

    /// <summary>How many of <paramref name="pending"/> (ascending), from the first, are in <paramref name="stored"/> (ascending, may hold others).</summary>
    internal static int LeadingStored(List<long> pending, List<long> stored)
    {
        int j = 0;
        for (int i = 0; i < pending.Count; i++)
        {
            while (j < stored.Count && stored[j] < pending[i]) j++;
            if (j == stored.Count || stored[j] != pending[i]) return i;
        }
        return pending.Count;
    }

    private void Advance(long sequence)
    {
        if (sequence > Interlocked.Read(ref _position)) Interlocked.Exchange(ref _position, sequence);
    }
}
