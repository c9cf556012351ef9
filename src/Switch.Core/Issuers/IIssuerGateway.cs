using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Journal.Events;
using Switch.Routing;

namespace Switch.Core.Issuers;

/// <summary>What the pipeline hands the issuer gateway for a transaction routed to a connector.</summary>
public sealed class IssuerRequest
{
    /// <summary>The canonical transaction.</summary>
    public required CardTransaction Transaction { get; init; }

    /// <summary>The terminal's request as received (its fields are copied to the issuer leg).</summary>
    public required IsoMessage TerminalRequest { get; init; }

    /// <summary>The terminal's profile (its TPK or BDK, for the PIN translation).</summary>
    public required TerminalProfile Terminal { get; init; }

    /// <summary>The route that matched (destination connector, failover).</summary>
    public required Route Route { get; init; }

    /// <summary>The master data snapshot of this transaction (issuer profiles: ZPK, stand-in limit).</summary>
    public required MasterDataSnapshot MasterData { get; init; }
}

/// <summary>
/// The issuer gateway's answer. A reversal or advice it queued in store-and-forward is in <see cref="Events"/> and
/// becomes live only after <see cref="IIssuerGateway.Commit"/> (the events are durable).
/// </summary>
public sealed class IssuerDecision
{
    /// <summary>DE39 for the terminal.</summary>
    public required string ResponseCode { get; init; }

    /// <summary>DE38 on approval (the issuer's, or generated in stand-in).</summary>
    public string? ApprovalCode { get; init; }

    /// <summary>The issuer's response (fields such as DE54 are copied to the terminal's answer), null on timeout or stand-in.</summary>
    public IsoMessage? IssuerResponse { get; init; }

    /// <summary>Where the transaction went in the end: the connector, or "stand-in".</summary>
    public required string Destination { get; init; }

    /// <summary>Issuer legs and state changes (request out, response in, reversal queued, stand-in decision, route change).</summary>
    public IReadOnlyList<JournalEvent> Events { get; init; } = [];

    /// <summary>The gateway's own state (opaque to the pipeline).</summary>
    public object? State { get; init; }
}

/// <summary>
/// Remote issuers through connectors: the issuer leg with the switch's STAN and institution id and the PIN block
/// translated to the issuer's ZPK, timeouts (91 and a queued 0420), store-and-forward of reversals and advices
/// (0421 repeats, in order per endpoint, surviving restarts through the journal) and stand-in.
/// </summary>
public interface IIssuerGateway
{
    /// <summary>Sends the issuer leg and waits for its answer until the connector's timeout (or decides in stand-in).</summary>
    ValueTask<IssuerDecision> AuthorizeAsync(IssuerRequest request, CancellationToken ct);

    /// <summary>The decision's events are durable: queued reversals and advices may be delivered.</summary>
    void Commit(IssuerDecision decision);

    /// <summary>The decision's events could not be journaled: nothing it queued is delivered.</summary>
    void Abort(IssuerDecision decision);

    /// <summary>Replays one durable journal record (start-up rebuild of the store-and-forward queue).</summary>
    void Apply(JournalRecord record);
}
