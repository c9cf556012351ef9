using System.Diagnostics;
using Confluent.Kafka;
using Serilog;
using Switch.Journal.Postgres;

namespace Switch.Journal.Projection;

/// <summary>Turns one Kafka record of the journal topic into a leg row, or says why it cannot (the record is then kept as a reject).</summary>
public delegate bool LegDecoder(ConsumeResult<byte[]?, byte[]?> record, out JournalLegRow? row, out string reason);

/// <summary>What the projector has done so far (read from any thread).</summary>
public sealed class ProjectorCounters
{
    private long _legsInserted;
    private long _legsDuplicate;
    private long _rejects;
    private long _batches;
    private long _batchFailures;
    private long _fenced;

    /// <summary>Legs written to journal_leg.</summary>
    public long LegsInserted => Interlocked.Read(ref _legsInserted);

    /// <summary>Legs dropped because their event id was already stored.</summary>
    public long LegsDuplicate => Interlocked.Read(ref _legsDuplicate);

    /// <summary>Records that could not be decoded (kept in projection_reject).</summary>
    public long Rejects => Interlocked.Read(ref _rejects);

    /// <summary>Batches committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Batches that failed (Postgres unreachable, the connection lost) and were read again.</summary>
    public long BatchFailures => Interlocked.Read(ref _batchFailures);

    /// <summary>Batches refused because another owner had moved the partition's offset on.</summary>
    public long Fenced => Interlocked.Read(ref _fenced);

    internal void Committed(BatchOutcome outcome, int rejects)
    {
        Interlocked.Add(ref _legsInserted, outcome.LegsInserted);
        Interlocked.Add(ref _legsDuplicate, outcome.LegsDuplicate);
        Interlocked.Add(ref _rejects, rejects);
        Interlocked.Increment(ref _batches);
    }

    internal void Failed() => Interlocked.Increment(ref _batchFailures);

    internal void FencedOut() => Interlocked.Increment(ref _fenced);
}

/// <summary>
/// The tranlog projector: a Kafka consumer group member that writes the journal topic into journal_leg and tranlog
/// exactly once. Offsets are never committed to Kafka; each batch's next offsets are stored in the same Postgres
/// transaction as its rows, and on assignment (and after any failed batch) every partition is sought back to its
/// stored offset. A batch that fails is therefore read again from where the database says, and a leg stored twice
/// is impossible (journal_leg's key is the event id). Several projectors in one group split the partitions.
/// </summary>
public sealed class TranlogProjector : IAsyncDisposable
{
    private readonly ProjectorOptions _options;
    private readonly ProjectionStore _store;
    private readonly LegDecoder _decoder;
    private readonly ILogger _log;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    // One lane per writer: partition p is written by lane p % writers, each lane on its own connection, so the lanes'
    // transactions touch disjoint partitions (and, since a transaction's legs share a partition, disjoint tranlog rows).
    private readonly Lane[] _lanes;
    // Next offset this instance will read per assigned partition (the stored one after a seek); -1 while unknown.
    private readonly Dictionary<TopicPartition, long> _positions = [];
    private bool _resyncNeeded;
    private long _resyncAtMs;
    private int _backoffMs;
    private Task? _loop;
    private CancellationTokenSource? _stop;

    /// <summary>Creates the consumer; nothing is read until <see cref="Start"/>.</summary>
    public TranlogProjector(ProjectorOptions options, string bootstrapServers, ProjectionStore store, LegDecoder decoder, ILogger log)
    {
        _options = options;
        _store = store;
        _decoder = decoder;
        _log = log;
        _backoffMs = options.RetryBackoffMs;
        _lanes = Enumerable.Range(0, options.Writers).Select(_ => new Lane()).ToArray();
        var config = ConsumerConfigFor(options, bootstrapServers);
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler((_, lost) => Forget(lost.Select(p => p.TopicPartition)))
            .SetErrorHandler((_, e) => _log.Warning("Projector consumer: {Reason} ({Code})", e.Reason, e.Code))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>The consumer's settings: offsets never committed to Kafka (they live in Postgres with the rows).</summary>
    public static ConsumerConfig ConsumerConfigFor(ProjectorOptions options, string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        GroupId = options.ConsumerGroup,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = 10_000,
        // The loop polls at least every PollMs even while Postgres is away, so this bound is never reached by waiting.
        MaxPollIntervalMs = 300_000,
    };

    /// <summary>Counts of what has been projected.</summary>
    public ProjectorCounters Counters { get; } = new();

    /// <summary>The partitions this instance owns now.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _consumer.Assignment;

    /// <summary>Completes when the loop ends: by a stop, or faulted by an error it does not handle (the service then exits).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    /// <summary>Starts the consume loop on its own thread (the Kafka consumer's calls block).</summary>
    public void Start(CancellationToken cancellationToken)
    {
        if (_loop is not null) throw new InvalidOperationException("the projector is already running");
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = _stop.Token;
        _loop = Task.Factory.StartNew(() => Loop(token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Stops the loop (the pending batch is written first if Postgres can take it) and leaves the group.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_loop is not null)
        {
            await _stop!.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The loop ends by cancellation.
            }
            catch (Exception ex)
            {
                // Already seen by whoever watches Completion; disposing must still release the consumer.
                _log.Error("Projector loop ended with {Error}", ex.Message);
            }
        }
        try
        {
            _consumer.Close();
        }
        catch (KafkaException ex)
        {
            _log.Warning("Projector consumer close: {Reason}", ex.Error.Reason);
        }
        _consumer.Dispose();
        _stop?.Dispose();
    }

    private void Loop(CancellationToken cancellationToken)
    {
        try
        {
            ConsumeUntil(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A batch whose write failed in an unknown way is not trusted: closing the consumer must not write it. The
            // other lanes' writes are waited for (not judged), so nothing writes after the loop has ended.
            BeginResync(immediately: true);
            foreach (var lane in _lanes) DrainQuietly(lane);
            throw;
        }
    }

    private void ConsumeUntil(CancellationToken cancellationToken)
    {
        _consumer.Subscribe(_options.Topic);
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var lane in _lanes)
            {
                if (lane.Writing is { IsCompleted: true }) CompleteWrite(lane);
            }
            if (_resyncNeeded)
            {
                Resync(cancellationToken);
                continue;
            }
            var record = Consume(cancellationToken);
            if (record is not null && !_resyncNeeded)
            {
                var lane = LaneOf(record.TopicPartition);
                if (lane.Batch.Count == 0) lane.Linger.Restart();
                Add(lane.Batch, record);
            }
            // While a write is in flight the batch keeps filling past its linger (up to its bound): reading goes on
            // instead of waiting, and the batches grow as large as Postgres is slow.
            foreach (var lane in _lanes)
            {
                bool writeDone = lane.Writing is null || lane.Writing.IsCompleted;
                if (lane.Batch.Count >= _options.BatchLegsMax
                    || (lane.Batch.Count > 0 && writeDone && lane.Linger.ElapsedMilliseconds >= _options.BatchLingerMs))
                    Flush(lane, cancellationToken);
            }
        }
        try
        {
            foreach (var lane in _lanes) CompleteWrite(lane);
        }
        catch (OperationCanceledException)
        {
            // The write in flight was cut short by the stop: it and what follows are read again at the next start.
            foreach (var lane in _lanes) DrainQuietly(lane);
            return;
        }
        FlushAllAndWait();
    }

    private Lane LaneOf(TopicPartition tp) => _lanes[tp.Partition.Value % _lanes.Length];

    // Writes every lane's pending batch and waits for them (at a stop or a revocation), while Postgres takes them.
    private void FlushAllAndWait()
    {
        foreach (var lane in _lanes)
        {
            if (lane.Batch.Count > 0 && !_resyncNeeded) Flush(lane, CancellationToken.None, wait: true);
        }
    }

    // Waits for a lane's write without applying its outcome (the loop is ending on an error or a stop).
    private static void DrainQuietly(Lane lane)
    {
        var writing = lane.Writing;
        lane.Writing = null;
        lane.WritingBatch = null;
        try
        {
            writing?.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Judged by nobody: what it did not commit is read again from the stored offsets at the next start.
        }
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(CancellationToken cancellationToken)
    {
        try
        {
            return _consumer.Consume(_options.PollMs);
        }
        catch (ConsumeException ex)
        {
            _log.Warning("Projector consume: {Reason}", ex.Error.Reason);
            cancellationToken.WaitHandle.WaitOne(_options.PollMs);
            return null;
        }
    }

    private void Add(Batch batch, ConsumeResult<byte[]?, byte[]?> record)
    {
        var tp = record.TopicPartition;
        long offset = record.Offset.Value;
        if (!_positions.TryGetValue(tp, out long position)) return; // not (or no longer) ours
        // No stored offset: the partition is read from its beginning, which is wherever its first record is.
        if (position < 0) _positions[tp] = offset;
        // Below what this batch expects next (a reset to the log start re-delivers): already stored or already batched.
        else if (offset < (batch.Next.TryGetValue(tp, out long expected) ? expected : position)) return;
        if (_decoder(record, out var row, out string reason) && row is not null)
            batch.Legs.Add(new ProjectedLeg(row, tp.Topic, tp.Partition.Value, offset));
        else
            batch.Rejects.Add(new ProjectedReject(tp.Topic, tp.Partition.Value, offset, reason));
        batch.Next[tp] = offset + 1;
    }

    // Hands the lane's batch to a write of its own and lets the loop read on into a new batch, after the lane's previous
    // write has committed: a write starts only when every earlier one of its partitions committed, so a failed batch is
    // never followed by a later one of the same partitions (which would leave a gap); the batches read meanwhile are
    // dropped and read again from the stored offsets.
    private void Flush(Lane lane, CancellationToken cancellationToken, bool wait = false)
    {
        if (!CompleteWrite(lane)) return;
        var batch = lane.Batch;
        lane.Batch = lane.Spare ?? new Batch();
        lane.Spare = null;
        lane.Batch.Clear();
        var ranges = batch.Next.Select(n => new PartitionRange(n.Key.Topic, n.Key.Partition.Value, _positions[n.Key], n.Value)).ToList();
        // The next batch starts where this one ends; a failure of this one resets the positions from the database.
        foreach (var range in ranges) _positions[new TopicPartition(range.Topic, range.Partition)] = range.NextOffset;
        lane.WritingBatch = batch;
        lane.Writing = Task.Run(async () =>
        {
            var outcome = await _store.WriteAsync(batch.Legs, batch.Rejects, ranges, cancellationToken).ConfigureAwait(false);
            // Counted as soon as it committed, not when the loop next looks.
            if (!outcome.Fenced) Counters.Committed(outcome, batch.Rejects.Count);
            return outcome;
        }, CancellationToken.None);
        if (wait || !Pipelined) CompleteWrite(lane);
    }

    /// <summary>Whether reading overlaps the previous batch's write (true); false waits for each write (the benchmark's A/B).</summary>
    internal bool Pipelined { get; set; } = true;

    // Waits for the lane's write in flight (if any) and applies its outcome; false when it did not commit or any lane
    // needs a resync (then begun).
    private bool CompleteWrite(Lane lane)
    {
        if (lane.Writing is not { } writing) return !_resyncNeeded;
        var batch = lane.WritingBatch!;
        lane.Writing = null;
        lane.WritingBatch = null;
        try
        {
            var outcome = writing.GetAwaiter().GetResult();
            lane.Spare = batch;
            if (outcome.Fenced)
            {
                Counters.FencedOut();
                _log.Warning("Projector batch refused: another owner moved a partition's offset on; reading again from the stored offsets");
                BeginResync(immediately: true);
                return false;
            }
            _backoffMs = _options.RetryBackoffMs;
            return !_resyncNeeded;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or IOException
            or System.Net.Sockets.SocketException)
        {
            lane.Spare = batch;
            Counters.Failed();
            _log.Warning("Projector batch of {Legs} legs not written ({Error}); retrying in {BackoffMs} ms from the stored offsets",
                batch.Legs.Added, ex.Message, _backoffMs);
            BeginResync(immediately: false);
            return false;
        }
    }

    private void BeginResync(bool immediately)
    {
        foreach (var lane in _lanes) lane.Batch.Clear();
        _resyncNeeded = true;
        _resyncAtMs = Environment.TickCount64 + (immediately ? 0 : _backoffMs);
    }

    // Reads the stored offsets and seeks every owned partition to them; until that works, records are polled (to stay
    // in the group) and dropped, because they will be read again after the seek.
    private void Resync(CancellationToken cancellationToken)
    {
        // Never read the stored offsets under a write in flight (of any lane).
        foreach (var lane in _lanes) CompleteWrite(lane);
        if (Environment.TickCount64 < _resyncAtMs)
        {
            _ = Consume(cancellationToken);
            return;
        }
        try
        {
            var stored = _store.ReadOffsetsAsync(_options.Topic, cancellationToken).GetAwaiter().GetResult()
                .ToDictionary(o => o.Partition, o => o.NextOffset);
            foreach (var tp in _consumer.Assignment)
            {
                long next = stored.TryGetValue(tp.Partition.Value, out long n) ? n : -1;
                _positions[tp] = next;
                _consumer.Seek(new TopicPartitionOffset(tp, next >= 0 ? new Offset(next) : Offset.Beginning));
            }
            _resyncNeeded = false;
            _backoffMs = _options.RetryBackoffMs;
            _log.Information("Projector resumed from the stored offsets of {Partitions} partitions", _consumer.Assignment.Count);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or IOException
            or System.Net.Sockets.SocketException or KafkaException)
        {
            _backoffMs = Math.Min(_backoffMs * 2, _options.RetryBackoffMaxMs);
            _resyncAtMs = Environment.TickCount64 + _backoffMs;
            _log.Warning("Projector cannot read its stored offsets ({Error}); next attempt in {BackoffMs} ms", ex.Message, _backoffMs);
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        Dictionary<int, long> stored;
        try
        {
            stored = _store.ReadOffsetsAsync(_options.Topic, CancellationToken.None).GetAwaiter().GetResult()
                .ToDictionary(o => o.Partition, o => o.NextOffset);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or IOException
            or System.Net.Sockets.SocketException)
        {
            // Postgres is away: take the partitions, drop what arrives and seek once the offsets can be read.
            _log.Warning("Projector assigned {Count} partitions but cannot read their stored offsets ({Error})", partitions.Count, ex.Message);
            foreach (var tp in partitions) _positions[tp] = -1;
            BeginResync(immediately: false);
            return partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning));
        }
        _log.Information("Projector assigned {Partitions}", string.Join(", ", partitions.Select(p => p.Partition.Value)));
        var result = new List<TopicPartitionOffset>();
        foreach (var tp in partitions)
        {
            long next = stored.TryGetValue(tp.Partition.Value, out long n) ? n : -1;
            _positions[tp] = next;
            result.Add(new TopicPartitionOffset(tp, next >= 0 ? new Offset(next) : Offset.Beginning));
        }
        return result;
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> revoked)
    {
        // Hand the partitions over with their work stored when Postgres can take it; if not, the new owner reads the
        // unstored records again from the stored offsets.
        foreach (var lane in _lanes) CompleteWrite(lane);
        FlushAllAndWait();
        Forget(revoked.Select(r => r.TopicPartition));
    }

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        var gone = partitions.ToHashSet();
        foreach (var tp in gone) _positions.Remove(tp);
        if (!_lanes.Any(lane => lane.Batch.Next.Keys.Any(gone.Contains))) return;
        // The unwritten batch is dropped; its records of the partitions kept must be read again.
        BeginResync(immediately: true);
    }

    // A writer: the batch filling, the one being written (writes of a lane are strictly one after the other; only
    // reading overlaps them) and the last one written, emptied and filled again (its encode buffer is kept).
    private sealed class Lane
    {
        public Batch Batch { get; set; } = new();
        public Task<BatchOutcome>? Writing { get; set; }
        public Batch? WritingBatch { get; set; }
        public Batch? Spare { get; set; }
        public Stopwatch Linger { get; } = new();
    }

    private sealed class Batch
    {
        public LegCopyBatch Legs { get; } = new();
        public List<ProjectedReject> Rejects { get; } = [];
        public Dictionary<TopicPartition, long> Next { get; } = [];
        public int Count => Legs.Added + Rejects.Count;

        public void Clear()
        {
            Legs.Clear();
            Rejects.Clear();
            Next.Clear();
        }
    }
}
