using Npgsql;
using Switch.Network.Acceptor;
using Switch.Network.Connector;

namespace Switch.Admin.Readiness;

/// <summary>The readiness adapters of the switch's parts (docs/operations.md has the rule each follows).</summary>
public static class ReadinessChecks
{
    /// <summary>A listener: ok while listening (critical: terminals cannot reach a switch whose listener is down).</summary>
    public static IReadinessCheck ForListener(IsoListener listener) => new ListenerCheck(listener);

    /// <summary>A connector: ok when signed on, degraded with some connections down, failed with none usable (not critical: other routes and on-us go on).</summary>
    public static IReadinessCheck ForConnector(IsoConnector connector) => new ConnectorCheck(connector);

    /// <summary>The journal: ok when healthy, degraded when Kafka lags, failed when appends are refused (critical: the pipeline declines everything).</summary>
    public static IReadinessCheck ForJournal(Journal.Journal journal) => new JournalCheck(journal);

    /// <summary>Postgres: a SELECT 1 within <paramref name="timeoutMs"/>, its result reused for <paramref name="cacheMs"/> (not critical: replies never wait on Postgres).</summary>
    public static IReadinessCheck ForPostgres(NpgsqlDataSource dataSource, int timeoutMs = 1_000, int cacheMs = 2_000) =>
        new PostgresCheck(dataSource, timeoutMs, cacheMs);

    /// <summary>Postgres with the admin section's timeout and cache.</summary>
    public static IReadinessCheck ForPostgres(NpgsqlDataSource dataSource, AdminOptions options) =>
        new PostgresCheck(dataSource, options.PostgresTimeoutMs, options.PostgresCacheMs);

    /// <summary>Any other source, read synchronously (it must be cheap and must not block).</summary>
    public static IReadinessCheck From(string name, string kind, bool critical, Func<ReadinessResult> check) =>
        new DelegateCheck(name, kind, critical, check);

    private sealed class DelegateCheck(string name, string kind, bool critical, Func<ReadinessResult> check) : IReadinessCheck
    {
        public string Name => name;
        public string Kind => kind;
        public bool Critical => critical;
        public ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken) => ValueTask.FromResult(check());
    }
}

/// <summary>An <see cref="IsoListener"/>: listening or not, and how many connections it serves.</summary>
internal sealed class ListenerCheck(IsoListener listener) : IReadinessCheck
{
    public string Name => listener.Name;
    public string Kind => ReadinessKinds.Listener;
    public bool Critical => true;

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken) => ValueTask.FromResult(
        listener.IsListening
            ? ReadinessResult.Ok($"listening on {listener.LocalEndPoint}, {listener.ConnectionCount} connections")
            : ReadinessResult.Failed("not listening (not started, or shutting down)"));
}

/// <summary>An <see cref="IsoConnector"/>: its endpoint health and each connection's state.</summary>
internal sealed class ConnectorCheck(IsoConnector connector) : IReadinessCheck
{
    public string Name => connector.Name;
    public string Kind => ReadinessKinds.Connector;
    public bool Critical => false;

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var health = connector.Health;
        var states = connector.ChannelStates;
        int open = states.Count(s => s >= ChannelState.Connected);
        int signedOn = states.Count(s => s == ChannelState.SignedOn);
        string counts = $"{open} of {states.Count} connections open, {signedOn} signed on";
        var result = health switch
        {
            EndpointHealth.SignedOn => ReadinessResult.Ok($"signed on; {counts}"),
            EndpointHealth.Up when connector.IsUsable => ReadinessResult.Ok($"connected (sign-on not required); {counts}"),
            EndpointHealth.Up => ReadinessResult.Failed($"connected but not signed on; {counts}"),
            EndpointHealth.Degraded => ReadinessResult.Degraded($"some connections down or failing echo tests; {counts}"),
            _ => ReadinessResult.Failed($"down: {counts}"),
        };
        return ValueTask.FromResult(result);
    }
}

/// <summary>The journal: <see cref="Journal.Journal.Health"/>, its reason, and the forwarder's lag and positions.</summary>
internal sealed class JournalCheck(Journal.Journal journal) : IReadinessCheck
{
    public string Name => "journal";
    public string Kind => ReadinessKinds.Journal;
    public bool Critical => true;

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        string positions = $"spool at {journal.Spool.LastAssigned}, Kafka acknowledged {journal.Forwarder.AckedThrough}, " +
            $"projected {journal.ProjectedThrough}, lag {journal.Forwarder.LagMs} ms";
        var result = journal.Health switch
        {
            Journal.JournalHealth.Healthy => ReadinessResult.Ok(positions),
            Journal.JournalHealth.Degraded => ReadinessResult.Degraded($"{journal.HealthReason ?? "degraded"}; {positions}"),
            _ => ReadinessResult.Failed($"appends refused: {journal.HealthReason ?? "unhealthy"}; {positions}"),
        };
        return ValueTask.FromResult(result);
    }
}
