using Serilog;
using Switch.Journal;

namespace Switch.Core.State;

/// <summary>How the start-up rebuild went: the snapshot used (its sequence, or null), where the replay started and how many records it folded.</summary>
public sealed record RebuildResult(long? SnapshotSequence, long ReplayedFrom, long Replayed, CoreState Shadow);

/// <summary>
/// The core state snapshot (docs/core.md "State snapshot"): the start-up rebuild loads the newest usable snapshot and
/// replays the journal from its position + 1 (<see cref="RebuildAsync"/>), and snapshots are written off the hot path
/// from the shadow state — fed only by the journal, so the snapshot is exactly the fold of every record through its
/// position — every <see cref="CoreOptions.SnapshotIntervalMs"/> and at graceful shutdown. Equivalent to a replay from 0
/// by construction (the same Apply code folds both); a missing, unreadable or older snapshot only makes the replay longer.
/// </summary>
public sealed class CoreStateSnapshots : IAsyncDisposable
{
    /// <summary>Longest the snapshot at graceful shutdown may take.</summary>
    public static readonly TimeSpan ShutdownSnapshotMax = TimeSpan.FromSeconds(20);

    private readonly CoreState _shadow;
    private readonly IJournalReader _journal;
    private readonly CoreStateStore _store;
    private readonly uint _nodeId;
    private readonly string _shape;
    private readonly TimeSpan _interval;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _one = new(1, 1);
    private Task _loop = Task.CompletedTask;
    private long _written;

    /// <summary>Snapshots of <paramref name="shadow"/> (already rebuilt to the journal's end) into <paramref name="store"/>.</summary>
    public CoreStateSnapshots(CoreState shadow, IJournalReader journal, CoreStateStore store, uint nodeId, string shape, int intervalMs, long written, ILogger log)
    {
        _shadow = shadow;
        _journal = journal;
        _store = store;
        _nodeId = nodeId;
        _shape = shape;
        _interval = TimeSpan.FromMilliseconds(intervalMs);
        _written = written;
        _log = log.ForContext<CoreStateSnapshots>();
    }

    /// <summary>The sequence of the last snapshot written (or loaded at start).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>
    /// The rebuild at start: the newest snapshot of this node at or below <paramref name="durableThrough"/> that reads
    /// (into a fresh shadow first, so a bad one changes nothing live), then every record after it folded into the live
    /// state and the shadow. Without a usable snapshot (none, another shape, unreadable) the replay starts at 0.
    /// </summary>
    public static async Task<RebuildResult> RebuildAsync(CoreState live, Func<CoreState> newShadow, IJournalReader journal, CoreStateStore? store,
        uint nodeId, string shape, long durableThrough, ILogger log, CancellationToken ct)
    {
        var shadow = newShadow();
        long? used = null;
        if (store is not null)
        {
            var (snapshots, ahead) = await store.LoadAsync(nodeId, durableThrough, ct).ConfigureAwait(false);
            if (ahead > 0) log.Warning("Core state: {Count} snapshots beyond the journal's end (sequence {Through}) deleted; the journal no longer holds what they cover", ahead, durableThrough);
            foreach (var snapshot in snapshots)
            {
                if (await TryReadAsync(shadow, snapshot, nodeId, shape, log, ct).ConfigureAwait(false))
                {
                    if (!await live.ReadAsync(snapshot.State, nodeId, shape, ct).ConfigureAwait(false))
                        throw new InvalidOperationException("core state snapshot read into the shadow but not into the live state");
                    used = snapshot.Sequence;
                    break;
                }
                await shadow.DisposeAsync().ConfigureAwait(false);
                shadow = newShadow();
            }
        }
        long from = (used ?? -1) + 1;
        long count = 0;
        await foreach (var record in journal.ReadAsync(from, ct).ConfigureAwait(false))
        {
            live.Apply(record);
            shadow.Apply(record);
            count++;
        }
        await Task.WhenAll(live.DrainAsync(ct), shadow.DrainAsync(ct)).ConfigureAwait(false);
        return new RebuildResult(used, from, count, shadow);
    }

    private static async Task<bool> TryReadAsync(CoreState shadow, StoredSnapshot snapshot, uint nodeId, string shape, ILogger log, CancellationToken ct)
    {
        try
        {
            if (await shadow.ReadAsync(snapshot.State, nodeId, shape, ct).ConfigureAwait(false)) return true;
            log.Information("Core state: snapshot at sequence {Sequence} was taken under other options ({Shape} now); not used", snapshot.Sequence, shape);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or KeyNotFoundException or IndexOutOfRangeException
            or ArgumentException or Switch.Journal.Codec.JournalFormatException)
        {
            log.Warning("Core state: snapshot at sequence {Sequence} cannot be read ({Error}); not used", snapshot.Sequence, ex.Message);
        }
        return false;
    }

    /// <summary>Starts the periodic snapshots (none when the interval is 0).</summary>
    public void Start()
    {
        if (_interval <= TimeSpan.Zero) return;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(_interval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) await TryTakeAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopping.
            }
        });
    }

    /// <summary>
    /// Catches the shadow up with the journal's durable end, and writes its snapshot when the position moved. Returns
    /// the sequence written, or the previous one when nothing new was durable.
    /// </summary>
    public async Task<long> TakeAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (var record in _journal.ReadAsync(_shadow.Position + 1, ct).ConfigureAwait(false)) _shadow.Apply(record);
            await _shadow.DrainAsync(ct).ConfigureAwait(false);
            long position = _shadow.Position;
            if (position <= Written) return Written;
            var started = System.Diagnostics.Stopwatch.StartNew();
            byte[] bytes = await _shadow.WriteAsync(_nodeId, _shape, ct).ConfigureAwait(false);
            await _store.WriteAsync(_nodeId, position, bytes, ct).ConfigureAwait(false);
            Interlocked.Exchange(ref _written, position);
            _log.Information("Core state snapshot at sequence {Sequence} written ({Bytes} bytes, {Ms} ms)", position, bytes.Length, started.ElapsedMilliseconds);
            return position;
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task TryTakeAsync(CancellationToken ct)
    {
        try
        {
            await TakeAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Postgres away, the journal's reader failing: the previous snapshot stands and the next period tries again.
            _log.Warning("Core state snapshot not written ({Error}); the previous one stands", ex.Message);
        }
    }

    /// <summary>Stops the periodic snapshots and writes the last one (bounded), then stops the shadow.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        using (var last = new CancellationTokenSource(ShutdownSnapshotMax)) await TryTakeAsync(last.Token).ConfigureAwait(false);
        await _shadow.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _one.Dispose();
    }
}
