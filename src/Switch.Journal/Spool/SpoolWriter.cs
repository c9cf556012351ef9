using System.Buffers.Binary;
using System.Diagnostics;
using Serilog;
using Switch.Journal.Codec;
using Switch.Journal.Events;

namespace Switch.Journal.Spool;

/// <summary>
/// The local write-ahead spool's one writer. Appenders encode their events, under a short lock, straight into the open
/// group's buffer and get the group's task; a dedicated thread takes the whole group, writes it with one positional
/// write (two across a segment boundary) and one fsync, and completes the task: group commit, one fsync for every
/// append waiting at that moment. Disk full refuses appends until a probe finds space again; a failed fsync or write
/// is fatal (the page cache can no longer be trusted) and ends the process through the fatal handler.
/// </summary>
public sealed class SpoolWriter : IDisposable
{
    /// <summary>Events one append may carry (one transaction's legs and effects).</summary>
    public const int AppendEventsMax = 64;

    /// <summary>Sequences reserved per durable write of the fence file (gaps after a restart are this big at most).</summary>
    internal const long FenceBlock = 1 << 20;

    private const string FenceFile = "sequence.fence";
    private const int ProbeBytes = 64 * 1024;

    private readonly ISpoolStorage _storage;
    private readonly SpoolOptions _options;
    private readonly uint _nodeId;
    private readonly ILogger _log;
    private readonly Action<Exception> _fatal;
    private readonly object _gate = new();
    private readonly List<SegmentInfo> _segments;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly int _groupCapacity;
    private readonly Watermark _durable;
    private readonly Watermark _written;

    private Group _open;
    private Group _spare;
    private long _nextSequence;
    private long _fenceThrough;
    private ISpoolFile _active = null!;
    private long _activeLength;
    private long _totalBytes;
    private bool _directoryDirty;
    private volatile string? _refusal;
    private volatile bool _diskFull;
    private volatile bool _stopping;
    private long _fsyncs;
    private long _groups;
    private long _records;
    private bool _syncRequested;
    private volatile bool _failed;
    private int _disposed;
    private int _signaled;
    private readonly bool _syncOnDemand;
    private readonly Stopwatch _sinceSync = Stopwatch.StartNew();

    /// <summary>Recovers the spool in <see cref="SpoolOptions.Directory"/> (truncating a torn tail) and starts the writer thread.</summary>
    /// <remarks>With <paramref name="syncOnDemand"/> (kafka mode) a group is not fsynced unless an appender asks (<see cref="WaitDurableAsync"/>) or 50 ms passed.</remarks>
    /// <remarks><paramref name="sequenceFloor"/>: sequences start above it even when the spool is empty (the projection already holds events of this node up to it, e.g. after the state directory was removed).</remarks>
    public SpoolWriter(ISpoolStorage storage, SpoolOptions options, uint nodeId, ILogger log, Action<Exception> fatal, bool syncOnDemand = false, long sequenceFloor = 0)
    {
        _syncOnDemand = syncOnDemand;
        _storage = storage;
        _options = options;
        _nodeId = nodeId;
        _log = log;
        _fatal = fatal;
        RecoveredSpool recovered = SpoolRecovery.Recover(storage, options.Directory, log);
        RecoveredLastSequence = recovered.LastSequence;
        TruncatedBytesAtStart = recovered.TruncatedBytes;
        _segments = recovered.Segments;
        _totalBytes = _segments.Sum(s => s.Bytes);
        long fence = ReadFence();
        _nextSequence = Math.Max(Math.Max(recovered.LastSequence, fence), sequenceFloor) + 1;
        ReserveFence(_nextSequence + FenceBlock);
        if (_segments.Count == 0) StartSegment(_nextSequence);
        else
        {
            _active = storage.Open(_segments[^1].Path);
            _activeLength = recovered.ActiveLength;
        }
        _durable = new Watermark(_nextSequence - 1);
        _written = new Watermark(_nextSequence - 1);
        _groupCapacity = options.GroupBytesMax + AppendEventsMax * (JournalEventCodec.EncodedBytesMax + SegmentFormat.RecordHeaderBytes);
        _open = new Group(_groupCapacity);
        _spare = new Group(_groupCapacity);
        _thread = new Thread(Run) { Name = "journal-spool-writer", IsBackground = true };
        _thread.Start();
        _log.Information("Spool: {Segments} segments in {Directory}, last sequence {Last}, next {Next}", _segments.Count, options.Directory, recovered.LastSequence, _nextSequence);
    }

    /// <summary>The node whose events this spool holds.</summary>
    public uint NodeId => _nodeId;

    /// <summary>The last good sequence found at start.</summary>
    public long RecoveredLastSequence { get; }

    /// <summary>Bytes of torn tail cut at start (0 when the spool was clean).</summary>
    public int TruncatedBytesAtStart { get; }

    /// <summary>Highest sequence fsynced (or written, with fsync off).</summary>
    public long DurableThrough => _durable.Value;

    /// <summary>Highest sequence written to the file (readable by the forwarder; durable only once <see cref="DurableThrough"/> passes it).</summary>
    public long WrittenThrough => _written.Value;

    /// <summary>The last sequence handed to an appender.</summary>
    public long LastAssigned { get { lock (_gate) return _nextSequence - 1; } }

    /// <summary>Why appends are refused now, or null when they are accepted.</summary>
    public string? Refusal => _refusal;

    /// <summary>fsyncs done (group commits that reached the disk).</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Groups written.</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Records written.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Bytes of all segments on disk.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>A snapshot of the segments, oldest first (the last is the active one).</summary>
    public SegmentInfo[] Segments()
    {
        lock (_segments) return [.. _segments];
    }

    /// <summary>
    /// Encodes and queues one transaction's events and returns the task of their group commit (completed when fsynced,
    /// faulted with <see cref="JournalUnavailableException"/> when refused or failed). <paramref name="lastSequence"/> is the
    /// sequence of the last event. No allocation per event: the events are encoded into the group's buffer.
    /// </summary>
    public Task Append(IReadOnlyList<JournalEvent> events, out long lastSequence)
    {
        int count = events.Count;
        if (count is 0 or > AppendEventsMax) throw new ArgumentException($"an append carries 1 to {AppendEventsMax} events, not {count}", nameof(events));
        int worst = count * (JournalEventCodec.EncodedBytesMax + SegmentFormat.RecordHeaderBytes);
        Task done;
        lock (_gate)
        {
            string? refusal = _refusal;
            if (refusal is not null) throw new JournalUnavailableException(refusal);
            if (_open.Length + worst > _groupCapacity) WaitForRoom(worst);
            Group g = _open;
            int start = g.Length;
            long seq = _nextSequence;
            try
            {
                for (int i = 0; i < count; i++, seq++)
                {
                    Span<byte> record = g.Buffer.AsSpan(g.Length);
                    int n = JournalEventCodec.Encode(new EventId(_nodeId, seq), events[i], record[SegmentFormat.RecordHeaderBytes..]);
                    SegmentFormat.FrameRecord(record, n);
                    g.Length += SegmentFormat.RecordHeaderBytes + n;
                }
            }
            catch
            {
                g.Length = start; // a refused event leaves nothing of its batch behind
                throw;
            }
            if (g.Count == 0) g.FirstSequence = _nextSequence;
            g.Count += count;
            _nextSequence = seq;
            g.LastSequence = seq - 1;
            lastSequence = seq - 1;
            done = g.Done.Task;
        }
        Signal();
        return done;
    }

    /// <summary>Completes when <paramref name="sequence"/> is fsynced, asking the writer for an fsync if it would not do one anyway (kafka mode).</summary>
    public Task WaitDurableAsync(long sequence)
    {
        Task t = _durable.WaitAsync(sequence);
        if (!t.IsCompleted)
        {
            lock (_gate) _syncRequested = true;
            Signal();
        }
        return t;
    }

    /// <summary>Completes when <paramref name="sequence"/> is written to the file (readable, not yet durable).</summary>
    public Task WaitWrittenAsync(long sequence) => _written.WaitAsync(sequence);

    /// <summary>Refuses appends for <paramref name="reason"/> (spool full), or accepts them again with null; disk full and failure are the writer's own.</summary>
    internal void SetSpoolFull(bool full)
    {
        if (_diskFull || _stopping) return;
        lock (_gate)
        {
            if (full && _refusal is null) _refusal = "spool full (Kafka behind the spool's size bound)";
            else if (!full && _refusal is not null && _refusal.StartsWith("spool full", StringComparison.Ordinal)) _refusal = null;
        }
    }

    /// <summary>Deletes closed segments whose every record is at or below <paramref name="safeThrough"/> and older than the retention.</summary>
    public int DeleteThrough(long safeThrough, DateTime nowUtc)
    {
        int deleted = 0;
        while (true)
        {
            SegmentInfo victim;
            lock (_segments)
            {
                if (_segments.Count < 2) break;
                SegmentInfo first = _segments[0];
                long lastInFirst = _segments[1].FirstSequence - 1;
                if (lastInFirst > safeThrough || first.ClosedUtc is null || nowUtc - first.ClosedUtc.Value < TimeSpan.FromMilliseconds(_options.RetentionMs)) break;
                victim = first;
                _segments.RemoveAt(0);
            }
            _storage.Delete(victim.Path);
            Interlocked.Add(ref _totalBytes, -victim.Bytes);
            deleted++;
            _log.Information("Spool: deleted {File} (forwarded and projected through {Sequence})", Path.GetFileName(victim.Path), safeThrough);
        }
        if (deleted > 0) _storage.SyncDirectory(_options.Directory);
        return deleted;
    }

    /// <summary>Writes what is queued, stops the writer thread and closes the active segment.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping = true;
        _wake.Release();
        _thread.Join(TimeSpan.FromSeconds(10));
        lock (_gate) _active.Dispose();
        _wake.Dispose();
    }

    /// <summary>Wakes the writer once per batch of appends, not once per append (a semaphore release can be a syscall).</summary>
    private void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0) _wake.Release();
    }

    private void WaitForRoom(int worst)
    {
        // The writer is busy with the other buffer: wait (bounded) for it to swap, which empties this one.
        var sw = Stopwatch.StartNew();
        while (_open.Length + worst > _groupCapacity)
        {
            long left = _options.AppendWaitMs - sw.ElapsedMilliseconds;
            if (left <= 0 || !Monitor.Wait(_gate, (int)left))
                throw new JournalUnavailableException("spool writer behind (group full past appendWaitMs)");
            if (_refusal is not null) throw new JournalUnavailableException(_refusal);
        }
    }

    private void Run()
    {
        while (true)
        {
            if (_diskFull)
            {
                Thread.Sleep(_options.DiskFullProbeMs);
                if (_stopping) break;
                ProbeDiskSpace();
                continue;
            }
            _wake.Wait(50);
            Volatile.Write(ref _signaled, 0); // appends from here on signal again
            Group g;
            bool syncRequested;
            lock (_gate)
            {
                g = _open;
                syncRequested = _syncRequested;
                _syncRequested = false;
                if (g.Count == 0)
                {
                    if (_stopping) break;
                    bool periodic = _written.Value > _durable.Value && NeedsSync(false);
                    if (!syncRequested && !periodic) continue;
                    syncRequested = true;
                }
                _open = _spare;
                _spare = g;
                Monitor.PulseAll(_gate);
            }
            if (g.Count > 0 && !WriteGroup(g))
            {
                if (_failed) return;
                continue;
            }
            bool synced = false;
            if (NeedsSync(syncRequested))
            {
                if (!Sync()) return;
                synced = true;
            }
            // Durable means fsynced (everything written so far, the active file's fsync covers it); only with fsync
            // switched off (benchmarks) does "written" count as durable.
            if (synced || !_options.Fsync) _durable.Advance(_written.Value);
            if (g.Count > 0)
            {
                g.Done.TrySetResult();
                g.Reset();
            }
        }
        Group rest = _open; // only on stop with an empty group, or unreachable groups on failure
        if (rest.Count > 0) rest.Done.TrySetException(new JournalUnavailableException("journal stopped"));
    }

    /// <summary>Writes a group, rolling segments as needed. false when the disk was full (the group is refused).</summary>
    private bool WriteGroup(Group g)
    {
        if (g.LastSequence > _fenceThrough && !TryReserveFence(g.LastSequence + FenceBlock, g)) return false;
        int pos = 0;
        try
        {
            while (pos < g.Length)
            {
                long room = _options.SegmentBytesMax - _activeLength;
                int end = g.Length - pos <= room ? g.Length : FitInSegment(g, pos, room);
                if (end == pos)
                {
                    RollSegment(PeekSequence(g.Buffer, pos));
                    continue;
                }
                _active.Write(_activeLength, g.Buffer.AsSpan(pos, end - pos));
                _activeLength += end - pos;
                Interlocked.Add(ref _totalBytes, end - pos);
                lock (_segments) _segments[^1].Bytes = _activeLength;
                pos = end;
            }
        }
        catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
        {
            EnterDiskFull(g, ex);
            return false;
        }
        catch (Exception ex)
        {
            Die(g, "spool write failed", ex);
            return false;
        }
        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _records, g.Count);
        _written.Advance(g.LastSequence);
        return true;
    }

    private bool NeedsSync(bool requested)
    {
        if (requested || (_options.Fsync && !_syncOnDemand)) return true;
        // Kafka mode: Kafka's acks make appends durable; the spool is still fsynced every 50 ms so a restart loses little.
        if (!_options.Fsync || _sinceSync.ElapsedMilliseconds < 50) return false;
        return true;
    }

    private bool Sync()
    {
        try
        {
            _active.Flush();
            if (_directoryDirty)
            {
                _storage.SyncDirectory(_options.Directory);
                _directoryDirty = false;
            }
            Interlocked.Increment(ref _fsyncs);
            _sinceSync.Restart();
            return true;
        }
        catch (Exception ex)
        {
            Die(_spare, "fsync failed", ex);
            return false;
        }
    }

    /// <summary>End offset (exclusive) of the records from <paramref name="pos"/> that fit in <paramref name="room"/> bytes.</summary>
    private static int FitInSegment(Group g, int pos, long room)
    {
        int end = pos;
        while (end < g.Length)
        {
            int len = SegmentFormat.RecordHeaderBytes + BinaryPrimitives.ReadInt32LittleEndian(g.Buffer.AsSpan(end));
            if (end - pos + len > room) break;
            end += len;
        }
        return end;
    }

    private static long PeekSequence(byte[] buffer, int recordOffset) =>
        BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(recordOffset + SegmentFormat.RecordHeaderBytes + JournalEventCodec.SequenceOffset));

    private void RollSegment(long firstSequence)
    {
        // The closing segment must be on disk before the next one holds later records.
        if (_options.Fsync) _active.Flush();
        ISpoolFile closing = _active;
        StartSegment(firstSequence); // on disk full this throws and the closing segment stays active
        closing.Dispose();
        lock (_segments) _segments[^2].ClosedUtc = DateTime.UtcNow;
    }

    private void StartSegment(long firstSequence)
    {
        string path = Path.Combine(_options.Directory, SegmentFormat.FileName(firstSequence));
        ISpoolFile file = _storage.Open(path);
        Span<byte> header = stackalloc byte[SegmentFormat.HeaderBytes];
        SegmentFormat.WriteHeader(header, firstSequence);
        try
        {
            file.SetLength(0);
            file.Write(0, header);
        }
        catch
        {
            file.Dispose();
            _storage.Delete(path);
            throw;
        }
        _active = file;
        _activeLength = SegmentFormat.HeaderBytes;
        Interlocked.Add(ref _totalBytes, SegmentFormat.HeaderBytes);
        lock (_segments) _segments.Add(new SegmentInfo(firstSequence, path) { Bytes = SegmentFormat.HeaderBytes });
        _directoryDirty = true;
    }

    private void EnterDiskFull(Group g, IOException ex)
    {
        try
        {
            _active.SetLength(_activeLength); // drop a partial write so the tail stays clean
        }
        catch (IOException)
        {
            // Truncation frees space and rarely fails; if it does, the torn tail is cut at the next start.
        }
        var refused = new JournalUnavailableException("spool disk full", ex);
        lock (_gate)
        {
            _diskFull = true;
            _refusal = "spool disk full";
            // Appends that joined the next group before the refusal are refused too, not left waiting for space.
            if (_open.Count > 0)
            {
                _open.Done.TrySetException(refused);
                _open.Reset();
            }
            Monitor.PulseAll(_gate);
        }
        _log.Error("Spool: disk full ({Message}); appends refused until space returns", ex.Message);
        g.Done.TrySetException(refused);
        g.Reset();
    }

    private void ProbeDiskSpace()
    {
        try
        {
            byte[] zeros = new byte[ProbeBytes];
            _active.Write(_activeLength, zeros);
            _active.SetLength(_activeLength);
        }
        catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
        {
            try { _active.SetLength(_activeLength); } catch (IOException) { }
            return;
        }
        catch (Exception ex)
        {
            Die(_open, "spool write failed while probing for space", ex);
            return;
        }
        lock (_gate)
        {
            _diskFull = false;
            _refusal = null;
        }
        _log.Information("Spool: disk space is back; appends accepted");
    }

    private long ReadFence()
    {
        byte[]? b = _storage.ReadSmall(Path.Combine(_options.Directory, FenceFile), 64);
        if (b is null || b.Length < 12) return 0;
        long v = BinaryPrimitives.ReadInt64LittleEndian(b);
        return Crc32C.Compute(b.AsSpan(0, 8)) == BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)) ? v : 0;
    }

    private void ReserveFence(long through)
    {
        Span<byte> b = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(b, through);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Crc32C.Compute(b[..8]));
        _storage.WriteDurably(Path.Combine(_options.Directory, FenceFile), b);
        _fenceThrough = through;
    }

    private bool TryReserveFence(long through, Group g)
    {
        try
        {
            ReserveFence(through);
            return true;
        }
        catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
        {
            EnterDiskFull(g, ex);
            return false;
        }
        catch (Exception ex)
        {
            Die(g, "sequence fence write failed", ex);
            return false;
        }
    }

    private void Die(Group g, string what, Exception ex)
    {
        var failure = new JournalUnavailableException(what, ex);
        lock (_gate)
        {
            _refusal = what;
            _stopping = true;
            _failed = true;
            Monitor.PulseAll(_gate);
        }
        _log.Fatal(ex, "Spool: {What}; the process must end (the page cache cannot be trusted after a failed write or fsync)", what);
        // The fatal handler first: by default it ends the process, and nobody must see a completion before that.
        try
        {
            _fatal(ex);
        }
        catch (Exception handlerError)
        {
            _log.Error(handlerError, "Spool: the fatal handler threw");
        }
        g.Done.TrySetException(failure);
        _open.Done.TrySetException(failure);
        _durable.Fail(failure);
        _written.Fail(failure);
    }

    private sealed class Group(int capacity)
    {
        public readonly byte[] Buffer = new byte[capacity];
        public int Length;
        public int Count;
        public long FirstSequence;
        public long LastSequence;
        public TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reset()
        {
            Length = 0;
            Count = 0;
            Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
