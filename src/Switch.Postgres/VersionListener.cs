using System.Globalization;
using Npgsql;
using Serilog;

namespace Switch.Postgres;

/// <summary>How a <see cref="VersionListener"/> reconnects and how often it compares versions in case a notification was missed.</summary>
public sealed record VersionListenerTiming(int ReconnectBackoffMinMs, int ReconnectBackoffMaxMs, int VersionCheckMs);

/// <summary>What one reload did: the version it read, and whether that snapshot was published.</summary>
public readonly record struct VersionReload(long Version, bool Published);

/// <summary>
/// Keeps an in-memory snapshot of versioned Postgres data current (routes, master data): LISTENs on a channel over one
/// dedicated connection, reloads when a notification names a newer version than <c>currentVersion</c> (and every
/// <see cref="VersionListenerTiming.VersionCheckMs"/> compares the stored version, in case one was missed). With
/// Postgres down it reconnects with capped exponential backoff while the owner keeps serving its last snapshot (F12);
/// after reconnecting it reloads, since notifications sent meanwhile are lost. The area supplies what to read.
/// </summary>
public sealed class VersionListener : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly string _what;
    private readonly VersionListenerTiming _timing;
    private readonly Func<long> _currentVersion;
    private readonly Func<NpgsqlConnection, CancellationToken, Task<VersionReload>> _reload;
    private readonly Func<NpgsqlConnection, CancellationToken, Task<long>> _storedVersion;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _notifiedVersion;
    private int _connected;
    private long _reloads;
    private long _failures;

    /// <summary>A listener on <paramref name="channel"/>; <paramref name="what"/> names the data in log lines ("route table").</summary>
    public VersionListener(NpgsqlDataSource dataSource, string channel, string what, VersionListenerTiming timing, Func<long> currentVersion,
        Func<NpgsqlConnection, CancellationToken, Task<VersionReload>> reload, Func<NpgsqlConnection, CancellationToken, Task<long>> storedVersion, ILogger log)
    {
        _dataSource = dataSource;
        _channel = channel;
        _what = what;
        _timing = timing;
        _currentVersion = currentVersion;
        _reload = reload;
        _storedVersion = storedVersion;
        _log = log;
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

    /// <summary>Stops listening and waits for the loop to end; the owner keeps its last snapshot.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int backoffMs = _timing.ReconnectBackoffMinMs;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => backoffMs = _timing.ReconnectBackoffMinMs, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever went wrong (driver, network, a bad stored row), the loop must survive: a dead loop would
                // leave the switch on stale data without anyone noticing. Serving goes on from the last snapshot.
                Volatile.Write(ref _connected, 0);
                Interlocked.Increment(ref _failures);
                _log.Warning("{What}: {Problem}; serving version {Version} from memory, retrying in {BackoffMs} ms",
                    _what, (ex.InnerException ?? ex).Message, _currentVersion(), backoffMs);
            }
            try
            {
                await Task.Delay(backoffMs, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoffMs = Math.Min(backoffMs * 2, _timing.ReconnectBackoffMaxMs);
        }
        Volatile.Write(ref _connected, 0);
    }

    private async Task ListenAsync(Action connected, CancellationToken stop)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
        connection.Notification += OnNotification;
        await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
            await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
        // LISTEN is in place before the load, so a change committed after the load's snapshot is notified.
        await ReloadAsync(connection, stop).ConfigureAwait(false);
        Volatile.Write(ref _connected, 1);
        connected();
        var check = TimeSpan.FromMilliseconds(_timing.VersionCheckMs);
        while (true)
        {
            if (Interlocked.Read(ref _notifiedVersion) > _currentVersion())
            {
                await ReloadAsync(connection, stop).ConfigureAwait(false);
                continue;
            }
            bool notified = await connection.WaitAsync(check, stop).ConfigureAwait(false);
            if (!notified && await _storedVersion(connection, stop).ConfigureAwait(false) > _currentVersion())
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
        var reload = await _reload(connection, stop).ConfigureAwait(false);
        // A payload that was not a number must not force reloads forever.
        if (Interlocked.Read(ref _notifiedVersion) == long.MaxValue) Interlocked.Exchange(ref _notifiedVersion, reload.Version);
        if (reload.Published) Interlocked.Increment(ref _reloads);
        _firstLoad.TrySetResult();
    }
}
