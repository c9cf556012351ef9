namespace Switch.Journal;

/// <summary>The journal's readiness as the host reports it.</summary>
public enum JournalHealth
{
    /// <summary>Appends are durable within the mode's bound and Kafka keeps up.</summary>
    Healthy,
    /// <summary>Appends are still durable (spool), but Kafka lags, is unreachable, or its producer is being rebuilt.</summary>
    Degraded,
    /// <summary>Appends are refused (disk full, spool full, writer failed): the pipeline declines, fail closed.</summary>
    Unhealthy,
}

/// <summary>Thrown by an append the journal refuses or could not make durable; the pipeline must decline (DE39 96).</summary>
public sealed class JournalUnavailableException(string reason, Exception? inner = null)
    : Exception($"journal unavailable: {reason}", inner)
{
    /// <summary>Why, in words ("spool disk full", "fsync failed", ...).</summary>
    public string Reason { get; } = reason;
}
