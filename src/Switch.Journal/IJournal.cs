using Switch.Journal.Events;

namespace Switch.Journal;

/// <summary>
/// The seam the pipeline calls for every transaction: append one transaction's events and await their durability
/// (the spool's fsync, or Kafka's acks=all in kafka mode). Only after the task completes may a reply go out (I2); a
/// faulted task (<see cref="JournalUnavailableException"/>) means decline. No allocation per event beyond the encoded bytes.
/// </summary>
public interface IJournal
{
    /// <summary>Appends 1 to 64 events of one transaction, in order; completes when they are durable.</summary>
    ValueTask AppendAsync(IReadOnlyList<JournalEvent> events, CancellationToken cancellationToken);

    /// <summary>Readiness: healthy, degraded (durable, but Kafka lags or is being reconnected) or unhealthy (appends refused).</summary>
    JournalHealth Health { get; }
}

/// <summary>
/// Replay of the journal in order from a position: the pipeline's state rebuild at start, and consumers.
/// <see cref="JournalRuntime"/> (the host's journal) reads what left the spool from Postgres; a bare <see cref="Journal"/>
/// from Kafka.
/// </summary>
public interface IJournalReader
{
    /// <summary>This node's records with a sequence at or above <paramref name="fromSequence"/>, in sequence order, up to what is durable now.</summary>
    IAsyncEnumerable<JournalRecord> ReadAsync(long fromSequence, CancellationToken cancellationToken);
}
