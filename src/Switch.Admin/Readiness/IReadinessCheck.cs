namespace Switch.Admin.Readiness;

/// <summary>
/// One source of readiness (a listener, a connector, the journal, Postgres): named, of a kind, and either critical
/// (its failure makes the switch not ready) or not (its failure only degrades it). See <see cref="ReadinessReport"/>.
/// </summary>
public interface IReadinessCheck
{
    /// <summary>The source's name ("pos", "issuer-a", "journal", "postgres").</summary>
    string Name { get; }

    /// <summary>The source's kind: one of <see cref="ReadinessKinds"/>.</summary>
    string Kind { get; }

    /// <summary>Whether a failure of this check makes the whole switch not ready (listener, journal) rather than degraded.</summary>
    bool Critical { get; }

    /// <summary>Reads the source's state now; bounded in time by the check itself (never waits longer than its own timeout).</summary>
    ValueTask<ReadinessResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The kinds of readiness sources, as they appear in /health/ready.</summary>
public static class ReadinessKinds
{
    /// <summary>An <c>IsoListener</c> (terminals connect to it).</summary>
    public const string Listener = "listener";

    /// <summary>An <c>IsoConnector</c> (a remote issuer or scheme).</summary>
    public const string Connector = "connector";

    /// <summary>The journal (spool and Kafka forwarder).</summary>
    public const string Journal = "journal";

    /// <summary>The Postgres database (master data, routes, projection).</summary>
    public const string Postgres = "postgres";
}

/// <summary>The state of one check.</summary>
public enum CheckStatus
{
    /// <summary>Working as configured ("ok").</summary>
    Ok,

    /// <summary>Working in part, or late ("degraded").</summary>
    Degraded,

    /// <summary>Not working ("failed").</summary>
    Failed,
}

/// <summary>What one check found: its status and a sentence for the operator.</summary>
public readonly record struct ReadinessResult(CheckStatus Status, string Detail)
{
    /// <summary>Working.</summary>
    public static ReadinessResult Ok(string detail) => new(CheckStatus.Ok, detail);

    /// <summary>Working in part.</summary>
    public static ReadinessResult Degraded(string detail) => new(CheckStatus.Degraded, detail);

    /// <summary>Not working.</summary>
    public static ReadinessResult Failed(string detail) => new(CheckStatus.Failed, detail);
}
