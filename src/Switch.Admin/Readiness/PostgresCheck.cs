using System.Diagnostics;
using Npgsql;

namespace Switch.Admin.Readiness;

/// <summary>
/// Postgres: one SELECT 1 within a timeout (connecting included). The result is reused for a while, and concurrent
/// readiness requests share one probe in flight, so a storm of scrapes costs the database one query per period.
/// </summary>
internal sealed class PostgresCheck : IReadinessCheck
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _timeoutMs;
    private readonly int _cacheMs;
    private readonly string _where;
    private readonly object _gate = new();
    private Task<ReadinessResult>? _probe;
    private Task<ReadinessResult>? _attempt;
    private long _probeStartedAt;
    private int _probes;

    public PostgresCheck(NpgsqlDataSource dataSource, int timeoutMs, int cacheMs)
    {
        if (timeoutMs <= 0) throw new ArgumentOutOfRangeException(nameof(timeoutMs), timeoutMs, "must be positive");
        if (cacheMs < 0) throw new ArgumentOutOfRangeException(nameof(cacheMs), cacheMs, "must not be negative");
        _dataSource = dataSource;
        _timeoutMs = timeoutMs;
        _cacheMs = cacheMs;
        // Host, port and database only: the connection string's password never reaches a readiness answer.
        var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        _where = $"{b.Host}:{b.Port}/{b.Database}";
    }

    public string Name => "postgres";
    public string Kind => ReadinessKinds.Postgres;
    public bool Critical => false;

    /// <summary>Probes started so far (tests: a storm of readiness requests costs one probe per cache period).</summary>
    public int Probes => Volatile.Read(ref _probes);

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        Task<ReadinessResult> probe;
        lock (_gate)
        {
            long now = Environment.TickCount64;
            bool stale = _probe is null || (_probe.IsCompleted && now - _probeStartedAt >= _cacheMs);
            if (stale)
            {
                _probeStartedAt = now;
                Interlocked.Increment(ref _probes);
                _probe = ProbeAsync();
            }
            probe = _probe!;
        }
        // The probe runs to its own timeout whatever this request does; the request may stop waiting for it.
        return new ValueTask<ReadinessResult>(probe.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Bounded by the timeout whatever Npgsql does (its open does not always honour cancellation during the startup
    /// handshake): the check answers at the timeout, and no second attempt starts while the first still hangs.
    /// </summary>
    private async Task<ReadinessResult> ProbeAsync()
    {
        if (_attempt is { IsCompleted: false })
            return ReadinessResult.Failed($"{_where}: no answer to SELECT 1 within {_timeoutMs} ms (the previous probe is still waiting)");
        var attempt = AttemptAsync();
        _attempt = attempt;
        try
        {
            return await attempt.WaitAsync(TimeSpan.FromMilliseconds(_timeoutMs)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return TimedOut();
        }
    }

    private ReadinessResult TimedOut() => ReadinessResult.Failed($"{_where}: no answer to SELECT 1 within {_timeoutMs} ms");

    /// <summary>One SELECT 1; never throws (a fault would go unobserved once the probe stopped waiting for it).</summary>
    private async Task<ReadinessResult> AttemptAsync()
    {
        var sw = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(_timeoutMs);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = Math.Max(1, (_timeoutMs + 999) / 1000) };
            object? answer = await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            if (answer is not int one || one != 1) return ReadinessResult.Failed($"{_where}: SELECT 1 answered {answer ?? "nothing"}");
            return ReadinessResult.Ok($"{_where}: SELECT 1 in {sw.ElapsedMilliseconds} ms");
        }
        catch (Exception) when (timeout.IsCancellationRequested)
        {
            return TimedOut();
        }
        catch (Exception ex)
        {
            return ReadinessResult.Failed($"{_where}: {Describe(ex)} (after {sw.ElapsedMilliseconds} ms)");
        }
    }

    /// <summary>The exception and its innermost cause ("Failed to connect to 127.0.0.1:1: Connection refused").</summary>
    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message}: {inner.Message}";
    }
}
