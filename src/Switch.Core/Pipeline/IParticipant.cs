namespace Switch.Core.Pipeline;

/// <summary>
/// One step of the transaction manager (jPOS's TransactionParticipant): <see cref="PrepareAsync"/> in order, then —
/// once the journal append decided the outcome — <see cref="Commit"/> (durable) or <see cref="Abort"/> (not) on every
/// participant that prepared, in the same order. A deciding participant stops the deciding phase by setting DE39.
/// </summary>
public interface IParticipant
{
    /// <summary>Short name for logs (e.g. "parse", "mac-verify").</summary>
    string Name { get; }

    /// <summary>
    /// False for a deciding participant (skipped once DE39 is decided), true for one that runs for every transaction
    /// (response, journal, MAC generation).
    /// </summary>
    bool Always { get; }

    /// <summary>
    /// Whether the step still runs for a request answered 96 because the pipeline is full (core.inFlightMax): the
    /// checks that find the terminal and verify its MAC, so that answer is signed only when the request's MAC verified.
    /// The other deciding steps are skipped (nothing is authorized).
    /// </summary>
    bool RunsWhenFull => false;

    /// <summary>Does the step's work; may decide DE39 with <see cref="TransactionContext.Decide"/>.</summary>
    ValueTask PrepareAsync(TransactionContext context, CancellationToken ct);

    /// <summary>The transaction's events are durable.</summary>
    void Commit(TransactionContext context);

    /// <summary>The transaction's events are not durable (the append failed, or a later step threw).</summary>
    void Abort(TransactionContext context);
}
