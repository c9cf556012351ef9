using System.Runtime.CompilerServices;
using Npgsql;
using Serilog;
using Switch.Journal.Events;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal;

/// <summary>
/// The journal as <c>switch run</c> hosts it: the journal (spool, Kafka forwarder, mock cluster), the Postgres
/// projection (migrated at start, its projector in process unless <c>projector.inProcess</c> is false) and the
/// projected position that lets retention delete spool segments (<see cref="ProjectedPosition"/>). Appends go to the
/// journal and never wait on Postgres: with Postgres down the spool keeps taking them, the projector retries and the
/// projection catches up when Postgres returns. <see cref="ReadAsync"/> is the replay for the state rebuild at start.
/// </summary>
public sealed class JournalRuntime : IJournal, IJournalReader, IAsyncDisposable
{
    /// <summary>How often the projected position is read from Postgres (and retention may move).</summary>
    public const int PositionCheckMs = 100;

    /// <summary>Longest the projector may take to stop (its last batch, leaving the group) before it is abandoned.</summary>
    public const int ProjectorStopMs = 10_000;

    /// <summary>
    /// On the mock cluster, how many records per partition the forwarder may be ahead of the projected position: the
    /// mock keeps only a partition's newest 5 MiB and drops older records, read or not. 5,000 records of a typical
    /// 250–400 bytes are 1–2 MiB per partition, room for uneven partitions.
    /// </summary>
    public const int MockAheadPerPartitionMax = 5_000;

    private const int ReplayPageRows = 10_000;

    private readonly ILogger _log;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ProjectionStore _store;
    private readonly ProjectedPosition _position;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _positionLoop;
    private int _disposed;

    private JournalRuntime(Journal journal, NpgsqlDataSource dataSource, ProjectionStore store, TranlogProjector? projector, ILogger log)
    {
        Journal = journal;
        _dataSource = dataSource;
        _store = store;
        Projector = projector;
        _log = log;
        _position = new ProjectedPosition(journal, store);
        _positionLoop = Task.Run(() => TrackPositionAsync(_stop.Token));
    }

    /// <summary>
    /// Opens the journal and its projection: applies the journal's migrations (Postgres must be reachable at start:
    /// the rebuild needs it), opens the journal with sequences above what Postgres already holds of this node, starts
    /// the projector (in process by default) and the projected-position loop. On the mock cluster (a new, empty cluster
    /// at every start) the projector's stored offsets are forgotten first: they counted another cluster's offsets; the
    /// forwarder resends what the projection lacks and the event-id key drops what it already has.
    /// </summary>
    /// <exception cref="NpgsqlException">Postgres unreachable.</exception>
    /// <exception cref="SchemaMigrationException">The database's schema is refused (edited migration, newer database).</exception>
    /// <exception cref="ArgumentException">projector.topic differs from journal.kafka.topic.</exception>
    public static async Task<JournalRuntime> StartAsync(
        JournalOptions journal, ProjectorOptions projector, PostgresOptions postgres, ILogger log, CancellationToken cancellationToken)
    {
        if (projector.Topic != journal.Kafka.Topic)
            throw new ArgumentException($"projector.topic \"{projector.Topic}\" differs from journal.kafka.topic \"{journal.Kafka.Topic}\"", nameof(projector));
        NpgsqlDataSource dataSource = postgres.CreateDataSource();
        Journal? opened = null;
        JournalRuntime? runtime = null;
        try
        {
            var migrated = await ProjectionHost.Schema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
            foreach (var m in migrated.Applied) log.Information("Journal schema migration {Version} ({Name}) applied", m.Version, m.Name);
            var store = new ProjectionStore(dataSource, projector.ConsumerGroup);
            long floor = await store.HighestSequenceAsync(journal.NodeId, cancellationToken).ConfigureAwait(false);
            opened = Journal.Open(journal, log, sequenceFloor: floor);
            if (opened.MockCluster is not null)
            {
                int forgotten = await store.ForgetOffsetsAsync(projector.Topic, cancellationToken).ConfigureAwait(false);
                if (forgotten > 0) log.Information("Journal: new mock Kafka cluster; the projection's {Count} stored offsets of the previous one forgotten", forgotten);
                Journal j = opened;
                long ahead = (long)MockAheadPerPartitionMax * journal.Kafka.Partitions;
                // Counted from the projected position, which moves over a restart's fence jump to just below the first
                // record not yet stored (ProjectedPosition), so the limit is never stuck below every new record.
                opened.Forwarder.SendLimit = () => j.ProjectedThrough + ahead;
            }
            TranlogProjector? running = null;
            if (projector.InProcess)
            {
                running = new TranlogProjector(projector, opened.BootstrapServers, store, LegRows.TryDecode, log);
                running.Start(CancellationToken.None);
                log.Information("Journal: projector in process, consuming {Topic} as group {Group}", projector.Topic, projector.ConsumerGroup);
            }
            runtime = new JournalRuntime(opened, dataSource, store, running, log);
            return runtime;
        }
        catch
        {
            opened?.Dispose();
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The journal (metrics, the mock cluster for fault tests, <see cref="Journal.HealthReason"/>).</summary>
    public Journal Journal { get; }

    /// <summary>The in-process projector (counters), or null when projectors run apart.</summary>
    public TranlogProjector? Projector { get; }

    /// <summary>The highest sequence such that every event of this node through it is committed in Postgres.</summary>
    public long ProjectedThrough => Journal.ProjectedThrough;

    /// <inheritdoc/>
    public JournalHealth Health => Journal.Health;

    /// <inheritdoc/>
    public ValueTask AppendAsync(IReadOnlyList<JournalEvent> events, CancellationToken cancellationToken) =>
        Journal.AppendAsync(events, cancellationToken);

    /// <summary>
    /// The replay for the state rebuild: every record of this node with a sequence at or above
    /// <paramref name="fromSequence"/>, in sequence order, each once, up to what is durable when the call starts. Records
    /// the spool still holds come from the spool; older ones (deleted by retention, hence committed in Postgres) from
    /// journal_leg, turned back into events (<see cref="LegRows.ToRecord"/>). Retention waits while it runs.
    /// Postgres errors surface as <see cref="NpgsqlException"/> (a rebuild must not go on with a hole).
    /// </summary>
    public IAsyncEnumerable<JournalRecord> ReadAsync(long fromSequence, CancellationToken cancellationToken) =>
        Journal.ReadAsync(fromSequence, FromPostgresAsync, cancellationToken);

    /// <summary>Stops the projector (bounded), reports the last position, then closes the journal (bounded Kafka flush) and the pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _positionLoop.ConfigureAwait(false);
        if (Projector is not null) await StopProjectorAsync(Projector).ConfigureAwait(false);
        try
        {
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _position.CheckAsync(last.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            // The position is read again at the next start; only retention waits for it.
        }
        _position.Dispose();
        Journal.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task StopProjectorAsync(TranlogProjector projector)
    {
        try
        {
            await projector.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMilliseconds(ProjectorStopMs)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // librdkafka's close can block on unreachable brokers; the process is ending and nothing uncommitted counts.
            _log.Warning("Journal: the projector did not stop within {Ms} ms; abandoned (its uncommitted batch is read again at the next start)", ProjectorStopMs);
        }
    }

    private async IAsyncEnumerable<JournalRecord> FromPostgresAsync(long from, long through, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (JournalLegRow row in _store.ReadLegsAsync(Journal.NodeId, from, through, ReplayPageRows, cancellationToken).ConfigureAwait(false))
            yield return LegRows.ToRecord(row);
    }

    private async Task TrackPositionAsync(CancellationToken cancellationToken)
    {
        long lastWarningMs = long.MinValue / 2;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _position.CheckAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Postgres away (or anything else): the position stays, so segments stay; appends go on. The loop never
                // dies of it; one line a minute at most.
                if (Environment.TickCount64 - lastWarningMs > 60_000)
                {
                    _log.Warning("Journal: cannot read the projection's position ({Error}); retention waits", ex.Message);
                    lastWarningMs = Environment.TickCount64;
                }
            }
            try
            {
                await Task.Delay(PositionCheckMs, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
