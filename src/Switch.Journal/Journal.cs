using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Serilog;
using Switch.Journal.Events;
using Switch.Journal.Kafka;
using Switch.Journal.Spool;

namespace Switch.Journal;

/// <summary>
/// The journal: the spool writer (system of record on this node), the Kafka forwarder, retention, positions and
/// readiness, behind <see cref="IJournal"/> and <see cref="IJournalReader"/>. With kafka.bootstrapServers = "mock" it
/// starts librdkafka's mock cluster and writes its bootstrap address to the spool directory.
/// </summary>
public sealed class Journal : IJournal, IJournalReader, IDisposable
{
    private const string PositionsFile = "positions";

    private readonly JournalOptions _options;
    private readonly ISpoolStorage _storage;
    private readonly ILogger _log;
    private readonly SpoolWriter _spool;
    private readonly KafkaForwarder _forwarder;
    private readonly MockKafkaCluster? _mock;
    private readonly Timer _maintenance;
    private readonly object _maintenanceGate = new();
    private long _projectedThrough;
    private long _positionsWritten = -1;
    private long _positionsWrittenAt;
    private int _disposed;

    private Journal(JournalOptions options, ISpoolStorage storage, ILogger log, Action<Exception> fatal, long sequenceFloor)
    {
        _options = options;
        _storage = storage;
        _log = log;
        _spool = new SpoolWriter(storage, options.Spool, options.NodeId, log, fatal, syncOnDemand: options.KafkaMode, sequenceFloor);
        (long forwarded, long projected) = ReadPositions();
        _projectedThrough = projected;
        if (options.Kafka.IsMock)
        {
            _mock = new MockKafkaCluster(options.Kafka.MockBrokers);
            BootstrapServers = _mock.BootstrapServers;
            _mock.WriteBootstrapFile(options.Spool.Directory);
            log.Information("Journal: Kafka mock cluster at {Bootstrap} (not replicated, not fsynced, lives with this process)", BootstrapServers);
        }
        else BootstrapServers = options.Kafka.BootstrapServers;
        EnsureTopic();
        // The mock cluster starts empty: everything the projection has not committed is sent again. A real cluster
        // kept what it acknowledged, so forwarding resumes after the later of the two positions.
        long from = _mock is not null ? projected : Math.Max(forwarded, projected);
        from = Math.Min(from, _spool.DurableThrough);
        _forwarder = new KafkaForwarder(_spool, storage, options.Kafka, BootstrapServers, from, options.KafkaMode, log);
        _maintenance = new Timer(_ => Maintain(), null, 100, 100);
    }

    /// <summary>Opens the journal: recovers the spool, starts (or connects to) Kafka and the forwarder.</summary>
    /// <param name="options">The journal section.</param>
    /// <param name="log">Where the journal logs.</param>
    /// <param name="storage">The spool's file system (tests inject faults); the real one by default.</param>
    /// <param name="fatal">Called on an fsync or write error; the default ends the process (PANIC semantics, see docs/journal.md).</param>
    /// <param name="sequenceFloor">New sequences start above it (the highest sequence of this node the projection holds), so a removed state directory can never make event ids repeat.</param>
    public static Journal Open(JournalOptions options, ILogger log, ISpoolStorage? storage = null, Action<Exception>? fatal = null, long sequenceFloor = 0) =>
        new(options, storage ?? FileSpoolStorage.Instance, log, fatal ?? (ex => Environment.FailFast("journal: spool fsync or write failed; restart recovers from the last good record", ex)), sequenceFloor);

    /// <summary>The spool's file system (the runtime's projected-position reader follows the same files).</summary>
    internal ISpoolStorage Storage => _storage;

    /// <summary>The node whose events this journal writes.</summary>
    public uint NodeId => _options.NodeId;

    /// <summary>
    /// Holds back segment deletion until the result is disposed (a replay reading the spool must not lose a segment under
    /// its feet). Holds nest.
    /// </summary>
    public IDisposable HoldRetention()
    {
        Interlocked.Increment(ref _retentionHolds);
        return new RetentionHold(this);
    }

    private int _retentionHolds;

    private sealed class RetentionHold(Journal journal) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Decrement(ref journal._retentionHolds);
        }
    }

    /// <summary>The Kafka bootstrap servers in use (the mock cluster's, when configured "mock").</summary>
    public string BootstrapServers { get; }

    /// <summary>The mock cluster this journal started (fault injection in tests), or null on a real cluster.</summary>
    public MockKafkaCluster? MockCluster => _mock;

    /// <summary>The spool writer (metrics: fsyncs, groups, depth).</summary>
    public SpoolWriter Spool => _spool;

    /// <summary>The Kafka forwarder (metrics: acked position, lag, rebuilds).</summary>
    public KafkaForwarder Forwarder => _forwarder;

    /// <summary>The highest sequence the Postgres projection reported committed.</summary>
    public long ProjectedThrough => Interlocked.Read(ref _projectedThrough);

    /// <inheritdoc/>
    public JournalHealth Health
    {
        get
        {
            if (_spool.Refusal is not null) return JournalHealth.Unhealthy;
            if (_forwarder.Rebuilding || _forwarder.LagMs > _options.Kafka.LagAlarmMs) return JournalHealth.Degraded;
            return JournalHealth.Healthy;
        }
    }

    /// <summary>Why readiness is not healthy, in words (null when healthy).</summary>
    public string? HealthReason =>
        _spool.Refusal ?? (_forwarder.Rebuilding ? "Kafka producer being rebuilt after a fatal error"
            : _forwarder.LagMs > _options.Kafka.LagAlarmMs ? $"Kafka lags the spool by {_forwarder.LagMs} ms" : null);

    /// <inheritdoc/>
    public ValueTask AppendAsync(IReadOnlyList<JournalEvent> events, CancellationToken cancellationToken)
    {
        Task durable;
        long last;
        try
        {
            durable = _spool.Append(events, out last);
        }
        catch (JournalUnavailableException ex)
        {
            return ValueTask.FromException(ex);
        }
        if (_options.KafkaMode) return AwaitKafkaOrSpool(durable, last, cancellationToken);
        _forwarder.Notify();
        return cancellationToken.CanBeCanceled ? new ValueTask(durable.WaitAsync(cancellationToken)) : new ValueTask(durable);
    }

    /// <summary>
    /// The Postgres projection reports that it committed every event of this node through <paramref name="sequence"/>:
    /// segments at or below both this and Kafka's acknowledged position may be deleted after the retention.
    /// </summary>
    public void ReportProjected(long sequence)
    {
        long current;
        while ((current = Interlocked.Read(ref _projectedThrough)) < sequence)
            if (Interlocked.CompareExchange(ref _projectedThrough, sequence, current) == current) break;
    }

    /// <inheritdoc/>
    /// <remarks>Records that already left the spool come from Kafka (read to the end, deduplicated, sorted); the journal runtime reads them from Postgres instead.</remarks>
    public IAsyncEnumerable<JournalRecord> ReadAsync(long fromSequence, CancellationToken cancellationToken) =>
        ReadAsync(fromSequence, FromKafkaAsync, cancellationToken);

    /// <summary>
    /// This node's records from <paramref name="fromSequence"/> in sequence order, up to what is durable when the call
    /// starts: those below the spool's first segment from <paramref name="older"/> (given the range, first..through), the
    /// rest from the spool. Retention is held while the enumeration runs, so the two ranges meet without a gap.
    /// </summary>
    public async IAsyncEnumerable<JournalRecord> ReadAsync(
        long fromSequence, Func<long, long, CancellationToken, IAsyncEnumerable<JournalRecord>> older,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using IDisposable hold = HoldRetention();
        // A deletion already past its check finishes under the lock; after it, no segment leaves while the hold lasts.
        lock (_maintenanceGate) { }
        SegmentInfo[] segments = _spool.Segments();
        long through = _spool.DurableThrough;
        long firstInSpool = segments.Length > 0 ? segments[0].FirstSequence : through + 1;
        long next = fromSequence;
        if (fromSequence < firstInSpool)
        {
            await foreach (JournalRecord r in older(fromSequence, firstInSpool - 1, cancellationToken).ConfigureAwait(false))
            {
                if (r.Id.Sequence < next) continue; // a copy, or out of order: each sequence once, ascending
                next = r.Id.Sequence + 1;
                yield return r;
            }
        }
        foreach (JournalRecord r in SpoolReplay.Read(_storage, segments, Math.Max(next, firstInSpool), through))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return r;
        }
    }

    /// <summary>Stops the forwarder (bounded flush), writes the positions and closes the spool.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _maintenance.Dispose();
        lock (_maintenanceGate)
        {
            _forwarder.Dispose();
            _spool.Dispose();
            TryWritePositions();
        }
        _mock?.Dispose();
    }

    private async ValueTask AwaitKafkaOrSpool(Task written, long last, CancellationToken cancellationToken)
    {
        _forwarder.Notify();
        // In kafka mode the group task completes when the group is written (not fsynced); a refused group (disk full)
        // faults it, and its sequences never exist, so no later ack or fsync may answer for them.
        await written.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task acked = _forwarder.WaitAckedAsync(last);
        if (!acked.IsCompleted)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Kafka.AckWaitMs);
            try
            {
                await acked.WaitAsync(timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Kafka slower than the bound (or unreachable): the spool's fsync answers instead.
            }
        }
        else return;
        await _spool.WaitDurableAsync(last).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<JournalRecord> FromKafkaAsync(long from, long through, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (JournalRecord r in await Task.Run(() => FromKafka(from, through, cancellationToken), cancellationToken).ConfigureAwait(false))
            yield return r;
    }

    private List<JournalRecord> FromKafka(long from, long through, CancellationToken cancellationToken)
    {
        var seen = new HashSet<long>();
        return KafkaTopicScan.ReadAll(BootstrapServers, _options.Kafka.Topic, TimeSpan.FromSeconds(30), cancellationToken)
            .Select(m => m.Record)
            .Where(r => r.Id.NodeId == _options.NodeId && r.Id.Sequence >= from && r.Id.Sequence <= through && seen.Add(r.Id.Sequence))
            .OrderBy(r => r.Id.Sequence).ToList();
    }

    private void Maintain()
    {
        if (!Monitor.TryEnter(_maintenanceGate)) return;
        try
        {
            if (_disposed != 0) return;
            _spool.SetSpoolFull(_spool.TotalBytes > _options.Spool.SpoolBytesMax);
            long acked = _forwarder.AckedThrough;
            long safe = _options.Spool.DeleteRequiresProjection ? Math.Min(acked, ProjectedThrough) : acked;
            if (Volatile.Read(ref _retentionHolds) == 0) _spool.DeleteThrough(safe, DateTime.UtcNow);
            // At most once a second: a stale position only causes resends (deduplicated), a write costs three fsyncs.
            if (acked != _positionsWritten && Environment.TickCount64 - _positionsWrittenAt >= 1000) TryWritePositions();
        }
        catch (Exception ex)
        {
            _log.Warning(ex, "Journal: maintenance failed (retention or positions); retried shortly");
        }
        finally
        {
            Monitor.Exit(_maintenanceGate);
        }
    }

    /// <summary>Positions file: i64 Kafka-acknowledged, i64 projected, u32 CRC-32C. Written atomically; a lost update only causes resends.</summary>
    private void TryWritePositions()
    {
        try
        {
            Span<byte> b = stackalloc byte[20];
            long acked = _forwarder.AckedThrough;
            BinaryPrimitives.WriteInt64LittleEndian(b, acked);
            BinaryPrimitives.WriteInt64LittleEndian(b[8..], ProjectedThrough);
            BinaryPrimitives.WriteUInt32LittleEndian(b[16..], Crc32C.Compute(b[..16]));
            _storage.WriteDurably(Path.Combine(_options.Spool.Directory, PositionsFile), b);
            _positionsWritten = acked;
            _positionsWrittenAt = Environment.TickCount64;
        }
        catch (IOException ex)
        {
            _log.Warning("Journal: positions not written ({Message}); forwarding may resend after a restart", ex.Message);
        }
    }

    private (long Forwarded, long Projected) ReadPositions()
    {
        byte[]? b = _storage.ReadSmall(Path.Combine(_options.Spool.Directory, PositionsFile), 64);
        if (b is null || b.Length < 20 || Crc32C.Compute(b.AsSpan(0, 16)) != BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(16))) return (0, 0);
        return (BinaryPrimitives.ReadInt64LittleEndian(b), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(8)));
    }

    private void EnsureTopic()
    {
        KafkaOptions k = _options.Kafka;
        if (_mock is not null)
        {
            _mock.CreateTopic(k.Topic, k.Partitions, Math.Min(k.ReplicationFactor, (short)_mock.BrokerCount));
            return;
        }
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers })
            .SetLogHandler((_, m) => _log.Debug("librdkafka admin: {Message}", m.Message)).Build();
        try
        {
            admin.CreateTopicsAsync(
                [new TopicSpecification
                {
                    Name = k.Topic, NumPartitions = k.Partitions, ReplicationFactor = k.ReplicationFactor,
                    Configs = new Dictionary<string, string> { ["min.insync.replicas"] = k.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                }],
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromMilliseconds(k.RequestTimeoutMs) }).Wait(TimeSpan.FromMilliseconds(k.RequestTimeoutMs * 2L));
        }
        catch (AggregateException ex) when (ex.InnerException is CreateTopicsException c && c.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // The topic exists (created by an earlier start or by the operator): use it as it is.
        }
        catch (AggregateException ex)
        {
            // Kafka unreachable at start is not fatal: the spool holds everything and the forwarder keeps trying.
            _log.Warning("Journal: could not create topic {Topic} ({Message}); forwarding will retry", k.Topic, ex.InnerException?.Message);
        }
    }
}
