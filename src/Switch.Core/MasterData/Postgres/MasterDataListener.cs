using System.Globalization;
using Npgsql;
using Serilog;

namespace Switch.Core.MasterData.Postgres;

/// <summary>The master data snapshot in service: swapped atomically by a reload; a transaction reads <see cref="Current"/> once and keeps it.</summary>
public sealed class MasterDataHolder(MasterDataSnapshot? initial = null)
{
    private MasterDataSnapshot _current = initial ?? MasterDataSnapshot.Empty;

    /// <summary>The snapshot in service.</summary>
    public MasterDataSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="snapshot"/> unless one of the same or a newer version is in service.</summary>
    public bool TryPublish(MasterDataSnapshot snapshot)
    {
        while (true)
        {
            MasterDataSnapshot seen = Volatile.Read(ref _current);
            if (snapshot.Version <= seen.Version && !ReferenceEquals(seen, MasterDataSnapshot.Empty)) return false;
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, snapshot, seen), seen)) return true;
        }
    }
}

/// <summary>
/// Keeps a <see cref="MasterDataHolder"/> current, like routing's RouteTableListener: LISTENs on
/// <see cref="MasterDataStore.Channel"/> over one dedicated connection, reloads the whole snapshot when a notification
/// names a newer version (and every <see cref="MasterDataOptions.VersionCheckMs"/> compares versions, in case one was
/// missed). With Postgres down it reconnects with capped exponential backoff and the holder keeps its last snapshot; a
/// changed card status reaches a running switch without a restart.
/// </summary>
public sealed class MasterDataListener : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly MasterDataHolder _holder;
    private readonly MasterDataOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _notifiedVersion;
    private int _connected;
    private long _reloads;
    private long _failures;

    /// <summary>A listener that will publish into <paramref name="holder"/>; nothing happens until <see cref="Start"/>.</summary>
    public MasterDataListener(NpgsqlDataSource dataSource, MasterDataHolder holder, MasterDataOptions options, ILogger? log = null)
    {
        _dataSource = dataSource;
        _holder = holder;
        _options = options;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<MasterDataListener>();
    }

    /// <summary>Completes when the first snapshot has been loaded.</summary>
    public Task FirstLoad => _firstLoad.Task;

    /// <summary>True while the listening connection is up.</summary>
    public bool Connected => Volatile.Read(ref _connected) == 1;

    /// <summary>How many snapshots were published.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>How many times the connection or a reload failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Starts listening in the background; call once.</summary>
    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("the listener is already started");
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Stops listening and waits for the loop to end; the holder keeps its last snapshot.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int backoffMs = _options.ReconnectBackoffMinMs;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => backoffMs = _options.ReconnectBackoffMinMs, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the loop must survive: a dead loop would leave the switch on stale master data unnoticed.
                Volatile.Write(ref _connected, 0);
                Interlocked.Increment(ref _failures);
                _log.Warning("master data: {Problem}; serving version {Version} from memory, retrying in {BackoffMs} ms",
                    (ex.InnerException ?? ex).Message, _holder.Current.Version, backoffMs);
            }
            try
            {
                await Task.Delay(backoffMs, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoffMs = Math.Min(backoffMs * 2, _options.ReconnectBackoffMaxMs);
        }
        Volatile.Write(ref _connected, 0);
    }

    private async Task ListenAsync(Action connected, CancellationToken stop)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
        connection.Notification += OnNotification;
        await using (var listen = new NpgsqlCommand($"LISTEN {MasterDataStore.Channel}", connection))
            await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
        // LISTEN is in place before the load, so a change committed after the load's snapshot is notified.
        await ReloadAsync(connection, stop).ConfigureAwait(false);
        Volatile.Write(ref _connected, 1);
        connected();
        var check = TimeSpan.FromMilliseconds(_options.VersionCheckMs);
        while (true)
        {
            if (Interlocked.Read(ref _notifiedVersion) > _holder.Current.Version)
            {
                await ReloadAsync(connection, stop).ConfigureAwait(false);
                continue;
            }
            bool notified = await connection.WaitAsync(check, stop).ConfigureAwait(false);
            if (!notified && await StoredVersionOrZeroAsync(connection, stop).ConfigureAwait(false) > _holder.Current.Version)
                await ReloadAsync(connection, stop).ConfigureAwait(false);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        long version = long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : long.MaxValue;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _notifiedVersion);
            if (version <= seen) return;
        }
        while (Interlocked.CompareExchange(ref _notifiedVersion, version, seen) != seen);
    }

    private async Task ReloadAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        MasterDataSnapshot snapshot;
        try
        {
            snapshot = await PostgresMasterDataSource.ReadSnapshotAsync(connection, _options, stop).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            snapshot = MasterDataSnapshot.Empty; // not migrated yet: the first change will notify
        }
        // A payload that was not a number must not force reloads forever.
        if (Interlocked.Read(ref _notifiedVersion) == long.MaxValue) Interlocked.Exchange(ref _notifiedVersion, snapshot.Version);
        if (_holder.TryPublish(snapshot))
        {
            Interlocked.Increment(ref _reloads);
            _log.Information("master data: version {Version} in service ({Terminals} terminals, {Cards} cards, {Accounts} accounts)",
                snapshot.Version, snapshot.Terminals.Count(), snapshot.Cards.Count(), snapshot.Accounts.Count());
        }
        else if (snapshot.Version < _holder.Current.Version)
        {
            _log.Warning("master data: stored version {Stored} is older than version {Serving} in service; keeping it until a newer one is stored",
                snapshot.Version, _holder.Current.Version);
        }
        _firstLoad.TrySetResult();
    }

    private static async Task<long> StoredVersionOrZeroAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        try
        {
            return await PostgresMasterDataSource.StoredVersionAsync(connection, stop).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
