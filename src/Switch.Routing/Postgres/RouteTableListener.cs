using Npgsql;
using Serilog;
using Switch.Postgres;

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
    private readonly RouteTableHolder _holder;
    private readonly RoutingOptions _options;
    private readonly ILogger _log;
    private readonly KnownDestinations? _known;
    private readonly VersionListener _listener;

    /// <summary>
    /// A listener that will publish into <paramref name="holder"/>; nothing happens until <see cref="Start"/>. With
    /// <paramref name="known"/>, routes naming a destination this process does not have (a connector since removed
    /// from its configuration) are logged at each load; they stay in the table, the pipeline declines or fails over.
    /// </summary>
    public RouteTableListener(NpgsqlDataSource dataSource, RouteTableHolder holder, RoutingOptions options, ILogger? log = null, KnownDestinations? known = null)
    {
        _known = known;
        _holder = holder;
        _options = options;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<RouteTableListener>();
        _listener = new VersionListener(dataSource, RouteStore.Channel, "route table",
            new VersionListenerTiming(options.ReconnectBackoffMinMs, options.ReconnectBackoffMaxMs, options.VersionCheckMs),
            () => _holder.Current.Version, ReloadAsync, StoredVersionAsync, _log);
    }

    /// <summary>Completes when the first table has been loaded (the switch may wait for it, with a timeout, before serving).</summary>
    public Task FirstLoad => _listener.FirstLoad;

    /// <summary>True while the listening connection is up.</summary>
    public bool Connected => _listener.Connected;

    /// <summary>How many snapshots were published.</summary>
    public long Reloads => _listener.Reloads;

    /// <summary>How many times the connection or a reload failed.</summary>
    public long Failures => _listener.Failures;

    /// <summary>Starts listening in the background; call once.</summary>
    public void Start() => _listener.Start();

    /// <summary>Stops listening and waits for the loop to end; the holder keeps its last table.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task<VersionReload> ReloadAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        RouteTable table = await RouteStore.ReadTableAsync(connection, _options.RoutesMax, stop).ConfigureAwait(false);
        if (_holder.TryPublish(table))
        {
            _log.Information("route table: version {Version} with {Routes} routes in service", table.Version, table.Routes.Count);
            WarnUnknownDestinations(table);
            return new VersionReload(table.Version, true);
        }
        // Versions only grow; an older stored table means the database was restored or replaced.
        _log.Warning("route table: stored version {Stored} is older than version {Serving} in service; keeping it until a newer one is stored",
            table.Version, _holder.Current.Version);
        return new VersionReload(table.Version, false);
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
