using System.Globalization;
using Npgsql;
using Serilog;

namespace Switch.Routing.Postgres;

/// <summary>
/// Keeps a <see cref="RouteTableHolder"/> current: LISTENs on <see cref="RouteStore.Channel"/> over one dedicated
/// connection, reloads the whole table when a notification names a newer version (and every
/// <see cref="RoutingOptions.VersionCheckMs"/> compares versions, in case one was missed), and publishes the new
/// snapshot atomically. When Postgres is down it reconnects with capped exponential backoff and the holder keeps
/// serving the last table it loaded (F12); after reconnecting it reloads, since notifications sent meanwhile are lost.
/// </summary>
public sealed class RouteTableListener : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly RouteTableHolder _holder;
    private readonly RoutingOptions _options;
    private readonly ILogger _log;
    private readonly KnownDestinations? _known;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _notifiedVersion;
    private int _connected;
    private long _reloads;
    private long _failures;

    /// <summary>
    /// A listener that will publish into <paramref name="holder"/>; nothing happens until <see cref="Start"/>. With
    /// <paramref name="known"/>, routes naming a destination this process does not have (a connector since removed
    /// from its configuration) are logged at each load; they stay in the table, the pipeline declines or fails over.
    /// </summary>
    public RouteTableListener(NpgsqlDataSource dataSource, RouteTableHolder holder, RoutingOptions options, ILogger? log = null, KnownDestinations? known = null)
    {
        _known = known;
        _dataSource = dataSource;
        _holder = holder;
        _options = options;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<RouteTableListener>();
    }

    /// <summary>Completes when the first table has been loaded (the switch may wait for it, with a timeout, before serving).</summary>
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

    /// <summary>Stops listening and waits for the loop to end; the holder keeps its last table.</summary>
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
                // Whatever went wrong (driver, network, a bad stored row), the loop must survive: a dead loop would
                // leave the switch on a stale table without anyone noticing.
                Volatile.Write(ref _connected, 0);
                Interlocked.Increment(ref _failures);
                // Serving goes on from the last table; only the log says Postgres is away.
                _log.Warning("route table: {Problem}; serving version {Version} from memory, retrying in {BackoffMs} ms",
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
        await using (var listen = new NpgsqlCommand($"LISTEN {RouteStore.Channel}", connection))
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
            if (!notified && await StoredVersionAsync(connection, stop).ConfigureAwait(false) > _holder.Current.Version)
                await ReloadAsync(connection, stop).ConfigureAwait(false);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        // The payload is the new version; anything else still forces a reload.
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
        RouteTable table = await RouteStore.ReadTableAsync(connection, _options.RoutesMax, stop).ConfigureAwait(false);
        // A payload that was not a number must not force reloads forever.
        if (Interlocked.Read(ref _notifiedVersion) == long.MaxValue) Interlocked.Exchange(ref _notifiedVersion, table.Version);
        if (_holder.TryPublish(table))
        {
            Interlocked.Increment(ref _reloads);
            _log.Information("route table: version {Version} with {Routes} routes in service", table.Version, table.Routes.Count);
            WarnUnknownDestinations(table);
        }
        else
        {
            // Versions only grow; an older stored table means the database was restored or replaced.
            _log.Warning("route table: stored version {Stored} is older than version {Serving} in service; keeping it until a newer one is stored",
                table.Version, _holder.Current.Version);
        }
        _firstLoad.TrySetResult();
    }

    private void WarnUnknownDestinations(RouteTable table)
    {
        if (_known is null) return;
        foreach (var route in table.Routes)
        {
            if (!_known.IsKnown(route.Destination) || (route.Failover is { } f && !_known.IsKnown(f)))
                _log.Warning("route table: route {Route} names a destination this switch does not have ({Destination}, failover {Failover})",
                    route.Name, route.Destination, route.Failover ?? "none");
        }
    }

    private static async Task<long> StoredVersionAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM route_table_version", connection);
        return (long)(await command.ExecuteScalarAsync(stop).ConfigureAwait(false))!;
    }
}
