using Npgsql;
using Serilog;
using Switch.Postgres;

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
    private readonly MasterDataHolder _holder;
    private readonly MasterDataOptions _options;
    private readonly ILogger _log;
    private readonly VersionListener _listener;

    /// <summary>A listener that will publish into <paramref name="holder"/>; nothing happens until <see cref="Start"/>.</summary>
    public MasterDataListener(NpgsqlDataSource dataSource, MasterDataHolder holder, MasterDataOptions options, ILogger? log = null)
    {
        _holder = holder;
        _options = options;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<MasterDataListener>();
        _listener = new VersionListener(dataSource, MasterDataStore.Channel, "master data",
            new VersionListenerTiming(options.ReconnectBackoffMinMs, options.ReconnectBackoffMaxMs, options.VersionCheckMs),
            () => _holder.Current.Version, ReloadAsync, StoredVersionOrZeroAsync, _log);
    }

    /// <summary>Completes when the first snapshot has been loaded.</summary>
    public Task FirstLoad => _listener.FirstLoad;

    /// <summary>True while the listening connection is up.</summary>
    public bool Connected => _listener.Connected;

    /// <summary>How many snapshots were published.</summary>
    public long Reloads => _listener.Reloads;

    /// <summary>How many times the connection or a reload failed.</summary>
    public long Failures => _listener.Failures;

    /// <summary>Starts listening in the background; call once.</summary>
    public void Start() => _listener.Start();

    /// <summary>Stops listening and waits for the loop to end; the holder keeps its last snapshot.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task<VersionReload> ReloadAsync(NpgsqlConnection connection, CancellationToken stop)
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
        if (_holder.TryPublish(snapshot))
        {
            _log.Information("master data: version {Version} in service ({Terminals} terminals, {Cards} cards, {Accounts} accounts)",
                snapshot.Version, snapshot.Terminals.Count(), snapshot.Cards.Count(), snapshot.Accounts.Count());
            return new VersionReload(snapshot.Version, true);
        }
        if (snapshot.Version < _holder.Current.Version)
        {
            _log.Warning("master data: stored version {Stored} is older than version {Serving} in service; keeping it until a newer one is stored",
                snapshot.Version, _holder.Current.Version);
        }
        return new VersionReload(snapshot.Version, false);
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
